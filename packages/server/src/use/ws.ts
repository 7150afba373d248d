// Binds the session protocol to `ws`. Everything specific to that library lives here:
// the upgrade (path, origin, subprotocol), maxPayload, close timers, and the socket set
// that `server.close()` waits for.
import { STATUS_CODES, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { SUBPROTOCOL } from '@continuum/protocol';
import {
  WebSocketServer,
  type PerMessageDeflateOptions,
  type ServerOptions as WsServerOptions,
  type WebSocket,
} from 'ws';
import { HANDSHAKES_RETRY_AFTER_S } from '../limits.js';
import type { Transport } from '../connection.js';
import type { Hub } from '../hub.js';

/** How long a closing socket may take to answer our close frame before it is destroyed, ms. */
const CLOSE_TIMEOUT_MS = 5_000;

/** Options of {@link bindWs}. */
export interface WsBindingOptions {
  /** Only upgrades to this path; any path when undefined. */
  path: string | undefined;
  isAllowedOrigin(origin: string): boolean;
  /** `ws` maxPayload: the largest frame accepted, bytes; larger closes with 1009. */
  maxPayload: number;
  /** Whether this server created the http.Server, so every upgrade is its to answer. */
  ownServer: boolean;
  /** `ws`'s permessage-deflate option; false unless the app opted in. */
  perMessageDeflate: boolean | PerMessageDeflateOptions;
}

/** A `ws` binding attached to an http.Server. */
export interface WsBinding {
  /** Sockets not yet closed (handshaking included). */
  readonly socketCount: number;
  /**
   * Stops taking upgrades and waits until every socket is gone; sockets still open after
   * `timeoutMs` (their peer never answered the close frame) are destroyed.
   */
  close(timeoutMs: number): Promise<void>;
}

class WsTransport implements Transport {
  private drainWaiter: (() => void) | undefined = undefined;
  private lowWater = 0;
  constructor(private readonly ws: WebSocket) {}
  send(data: string | Uint8Array): void {
    // The write callback is how a waiter learns that bytes left the process; one shared
    // function, no closure per frame.
    this.ws.send(data, this.written);
  }
  private readonly written = (): void => {
    const waiter = this.drainWaiter;
    if (waiter && this.ws.bufferedAmount <= this.lowWater) {
      this.drainWaiter = undefined;
      waiter();
    }
  };
  whenDrained(callback: () => void, lowWater: number): void {
    this.lowWater = lowWater;
    this.drainWaiter = callback;
  }
  close(code: number, reason: string): void {
    this.drainWaiter = undefined;
    try {
      this.ws.close(code, reason);
    } catch {
      // An invalid code or reason is our bug; the socket must go anyway.
      this.ws.terminate();
    }
  }
  terminate(): void {
    this.drainWaiter = undefined;
    this.ws.terminate();
  }
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
}

function pathnameOf(url: string | undefined): string {
  if (!url) return '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

/** Answers an upgrade with a plain HTTP error and closes the TCP connection. */
function refuseUpgrade(socket: Duplex, status: number, headers: Record<string, string> = {}): void {
  const body = STATUS_CODES[status] ?? 'Error';
  const lines = [
    `HTTP/1.1 ${status} ${body}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.once('finish', () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

/** Attaches the hub to `http`'s upgrade event through a `ws` server in noServer mode. */
export function bindWs(http: HttpServer, hub: Hub<any>, options: WsBindingOptions): WsBinding {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxPayload,
    // Off unless the app opts in: compression costs CPU and memory per socket (zlib
    // contexts) for little gain on small batches of app data.
    perMessageDeflate: options.perMessageDeflate,
    clientTracking: false,
    // Select continuum.v1 when offered. A client that offers nothing is still accepted
    // (curl, wscat, debugging); its hello's version decides.
    handleProtocols: (protocols: Set<string>) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    // ws waits 30 s by default for the peer's close frame; a dead peer should not hold a
    // socket (and a graceful shutdown) that long. Option added in ws 8.18, not yet typed.
    closeTimeout: CLOSE_TIMEOUT_MS,
  } as WsServerOptions);
  const sockets = new Set<WebSocket>();
  let onDrained: (() => void) | undefined;

  const accept = (ws: WebSocket, request: IncomingMessage) => {
    sockets.add(ws);
    const connection = hub.open(new WsTransport(ws), request);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      connection.receive(isBinary ? data : data.toString('utf8'));
    });
    ws.on('close', (code: number, reason: Buffer) => {
      sockets.delete(ws);
      connection.closed(code, reason.toString('utf8'));
      if (sockets.size === 0) onDrained?.();
    });
    // ws closes the socket itself after a protocol error (1002, 1007, and 1009 past
    // maxPayload) and then emits 'close'; an unhandled 'error' would crash the process.
    ws.on('error', () => {});
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (options.path !== undefined && pathnameOf(request.url) !== options.path) {
      // On the app's own server another upgrade listener may own this path.
      if (!options.ownServer && http.listenerCount('upgrade') > 1) return;
      hub.metrics.handshakeFailed('path');
      refuseUpgrade(socket, 404);
      return;
    }
    if (hub.closing) {
      hub.metrics.handshakeFailed('shutdown');
      refuseUpgrade(socket, 503, { 'Retry-After': '5' });
      return;
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !options.isAllowedOrigin(origin)) {
      // Before the upgrade: a cross-site page must not even get a socket.
      hub.metrics.handshakeFailed('origin');
      refuseUpgrade(socket, 403);
      return;
    }
    if (!hub.admitsHandshake()) {
      // Before the upgrade, the cheapest refusal in a reconnect storm. Browsers see it as
      // 1006 and the clients spread their next attempt; Node clients see the 503.
      hub.metrics.handshakeFailed('overloaded');
      hub.metrics.limitReached('handshakes');
      refuseUpgrade(socket, 503, { 'Retry-After': String(HANDSHAKES_RETRY_AFTER_S) });
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, request));
  };
  http.on('upgrade', onUpgrade);

  return {
    get socketCount() {
      return sockets.size;
    },
    close(timeoutMs: number): Promise<void> {
      http.off('upgrade', onUpgrade);
      wss.close();
      if (sockets.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const ws of sockets) ws.terminate();
        }, timeoutMs);
        onDrained = () => {
          clearTimeout(timer);
          onDrained = undefined;
          resolve();
        };
      });
    },
  };
}
