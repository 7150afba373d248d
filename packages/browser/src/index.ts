// @continuum/browser: the core client with the page's WebSocket bound, and the
// browser's signals turned into hints: online/offline, page visibility, bfcache.
import {
  Client as CoreClient,
  ContinuumError,
  webSocketTransport,
  type ClientOptions,
  type SendData,
  type SendOptions,
  type WebSocketConstructor,
} from '@continuum/core';

export * from '@continuum/core';

function pageWebSocket(): WebSocketConstructor {
  const ctor = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!ctor)
    throw new ContinuumError('INVALID_ARGUMENT', 'no global WebSocket in this environment: in Node use @continuum/node, or pass the `WebSocket` option');
  return ctor;
}

const noop = () => {};
const isBlob = (data: unknown): data is Blob => typeof Blob === 'function' && data instanceof Blob;

/**
 * The Continuum client for browsers.
 *
 * Liveness does not depend on this page's timers firing on time (background tabs
 * throttle them): the server's pings are the signal, silence is measured with
 * timestamps, and the link is checked at once when the network comes back or the
 * page becomes visible.
 *
 * `send()` also takes a `Blob` (e.g. a `File`), read asynchronously: messages sent
 * after it wait until it is read, so the server gets them in `send()` order.
 */
export class Client<TSend = SendData, TReceive = string | Uint8Array> extends CoreClient<TSend, TReceive> {
  private detachPageListeners: (() => void) | undefined;
  /** Settles once every earlier Blob send was read and handed to the core client. */
  private blobsRead: Promise<void> | undefined;

  constructor(url: string | (() => string | Promise<string>), options: ClientOptions = {}) {
    super(url, {
      ...options,
      transport: options.transport ?? webSocketTransport(options.WebSocket ?? pageWebSocket()),
    });
    this.detachPageListeners = this.watchPage();
  }

  override send(data: TSend | Blob, options?: SendOptions): Promise<void> {
    if (!this.blobsRead && !isBlob(data)) return super.send(data as TSend, options);
    // In order behind the Blobs still being read. The core's promise is wrapped so the
    // chain waits for the hand-over only, not for the server's acknowledgement.
    const handedOver = (this.blobsRead ?? Promise.resolve()).then(async () => ({
      ack: super.send((isBlob(data) ? new Uint8Array(await data.arrayBuffer()) : data) as TSend, options),
    }));
    const read = handedOver.then(noop, noop);
    this.blobsRead = read;
    void read.then(() => {
      if (this.blobsRead === read) this.blobsRead = undefined;
    });
    const result = handedOver.then(
      ({ ack }) => ack,
      (cause: unknown) => {
        throw cause instanceof ContinuumError ? cause : new ContinuumError('INVALID_ARGUMENT', `could not read the Blob: ${String(cause)}`, { cause });
      },
    );
    result.catch(noop); // marked handled, like every send() promise
    return result;
  }

  override connect(): void {
    this.detachPageListeners ??= this.watchPage();
    super.connect();
  }

  override reconnect(): void {
    this.detachPageListeners ??= this.watchPage();
    super.reconnect();
  }

  override close(...args: Parameters<CoreClient['close']>): Promise<void> {
    const closing = super.close(...args); // throws INVALID_ARGUMENT for a bad code, like the core's
    this.detachPageListeners?.();
    this.detachPageListeners = undefined;
    return closing;
  }

  private watchPage(): () => void {
    const win = globalThis as unknown as {
      addEventListener?: (type: string, fn: (event: any) => void) => void;
      removeEventListener?: (type: string, fn: (event: any) => void) => void;
      document?: { visibilityState?: string };
    };
    if (typeof win.addEventListener !== 'function' || typeof win.removeEventListener !== 'function') return noop;
    const listeners: Record<string, (event: any) => void> = {
      online: () => this.checkConnection('online'),
      // Going offline makes an open link suspect (probe it now). While reconnecting it
      // must not skip the backoff: an attempt now could only fail, and `online` will
      // start one the moment the network is back.
      offline: () => {
        if (this.state === 'open') this.checkConnection('offline');
      },
      // Fired at the document; it bubbles to the window.
      visibilitychange: () => {
        if (win.document?.visibilityState === 'visible') this.checkConnection('visible');
      },
      pageshow: (event: { persisted?: boolean }) => {
        if (event.persisted) this.checkConnection('pageshow');
      },
    };
    for (const [type, fn] of Object.entries(listeners)) win.addEventListener(type, fn);
    return () => {
      for (const [type, fn] of Object.entries(listeners)) win.removeEventListener!(type, fn);
    };
  }
}
