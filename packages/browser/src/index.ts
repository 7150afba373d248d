// @continuum/browser: the core client with the page's WebSocket bound, and the
// browser's signals turned into hints: online/offline, page visibility, bfcache.
import {
  Client as CoreClient,
  ContinuumError,
  webSocketTransport,
  type ClientOptions,
  type SendData,
  type WebSocketConstructor,
} from '@continuum/core';

export * from '@continuum/core';

function pageWebSocket(): WebSocketConstructor {
  const ctor = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!ctor)
    throw new ContinuumError('INVALID_ARGUMENT', 'no global WebSocket in this environment: in Node use @continuum/node, or pass the `WebSocket` option');
  return ctor;
}

/**
 * The Continuum client for browsers.
 *
 * Liveness does not depend on this page's timers firing on time (background tabs
 * throttle them): the server's pings are the signal, silence is measured with
 * timestamps, and the link is checked at once when the network comes back or the
 * page becomes visible.
 */
export class Client<TSend = SendData, TReceive = string | Uint8Array> extends CoreClient<TSend, TReceive> {
  private readonly detachPageListeners: () => void;

  constructor(url: string | (() => string | Promise<string>), options: ClientOptions = {}) {
    super(url, {
      ...options,
      transport: options.transport ?? webSocketTransport(options.WebSocket ?? pageWebSocket()),
    });
    this.detachPageListeners = this.watchPage();
  }

  override async close(...args: Parameters<CoreClient['close']>): Promise<void> {
    this.detachPageListeners();
    return super.close(...args);
  }

  private watchPage(): () => void {
    const win = globalThis as unknown as {
      addEventListener?: (type: string, fn: (event: any) => void) => void;
      removeEventListener?: (type: string, fn: (event: any) => void) => void;
      document?: { visibilityState?: string };
    };
    if (typeof win.addEventListener !== 'function' || typeof win.removeEventListener !== 'function') return () => {};
    const listeners: Record<string, (event: any) => void> = {
      online: () => this.checkConnection('online'),
      offline: () => this.checkConnection('offline'),
      visibilitychange: () => {
        if (win.document?.visibilityState === 'visible') this.checkConnection('visible');
      },
      pageshow: (event: { persisted?: boolean }) => {
        if (event.persisted) this.checkConnection('pageshow');
      },
    };
    for (const [type, fn] of Object.entries(listeners)) win.addEventListener(type, fn);
    let attached = true;
    return () => {
      if (!attached) return;
      attached = false;
      for (const [type, fn] of Object.entries(listeners)) win.removeEventListener!(type, fn);
    };
  }
}
