import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloseCode, formatRetryHint, Limits, truncateUtf8 } from '@continuum/protocol';
import type { ChannelStats } from './channels.js';
import { Emitter } from './emitter.js';
import { interceptRoutes, ownRequestListener, type RouteSource } from './http.js';
import { Hub } from './hub.js';
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options.js';
import type { Session } from './session.js';
import { createMemoryStore, type SessionStore } from './store.js';
import { bindWs, type WsBinding } from './use/ws.js';

/** Events of a {@link ContinuumServer}. */
export interface ServerEvents<Identity> {
  /**
   * A new session, once per session (not per socket: a resume does not repeat it), before
   * any of its messages. Attach the session's 'message' listener here.
   */
  session: (session: Session<Identity>) => void;
  /**
   * A fault the server survived: `authenticate` threw, a store write failed. Without a
   * listener these become process warnings (`process.emitWarning`), never crashes.
   */
  error: (error: Error) => void;
}

/** Options of `server.close()`. */
export interface CloseOptions {
  /**
   * Close code sent to every client.
   * @default 1012 (service restart: clients reconnect, after the hint)
   */
  code?: number;
  /**
   * Close reason; a `retry=MIN-MAX` hint (ms) spreads the clients' reconnects.
   * @default formatRetryHint('restart', 1000, 5000)
   */
  reason?: string;
  /**
   * How long to wait for clients to answer the close frame before destroying their
   * sockets and remaining HTTP connections, ms.
   * @default 1000
   */
  timeoutMs?: number;
}

/** Read-only view of the sessions this server holds (connected or waiting for a resume). */
export class SessionList<Identity> implements Iterable<Session<Identity>> {
  /** @internal */
  constructor(private readonly map: ReadonlyMap<string, Session<Identity>>) {}
  get size(): number {
    return this.map.size;
  }
  get(id: string): Session<Identity> | undefined {
    return this.map.get(id);
  }
  [Symbol.iterator](): Iterator<Session<Identity>> {
    return this.map.values();
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** A running Continuum server. Create it with {@link createServer}. */
export class ContinuumServer<Identity = unknown> extends Emitter<ServerEvents<Identity>> {
  /** Sessions held by this server. */
  readonly sessions: SessionList<Identity>;
  private readonly hub: Hub<Identity>;
  private readonly http: HttpServer;
  private readonly ownsHttp: boolean;
  private readonly ownsStore: boolean;
  private readonly binding: WsBinding;
  private readonly detachRoutes: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private lastAddress: AddressInfo | undefined;

  /** @internal Use createServer(). */
  constructor(private readonly options: ResolvedOptions<Identity>) {
    super();
    const store: SessionStore = options.store ?? createMemoryStore();
    this.ownsStore = options.store === undefined;
    this.hub = new Hub<Identity>(options, store, {
      session: (session) => this.emit('session', session),
      error: (error) => this.reportError(error),
    });
    this.sessions = new SessionList(this.hub.sessions);
    const routes: RouteSource = {
      health: () => ({
        status: this.hub.closing ? 'closing' : 'ok',
        sessions: this.hub.sessions.size,
        connections: this.binding.socketCount,
      }),
      metricsText: () => this.metrics(),
    };
    this.ownsHttp = options.server === undefined;
    this.http =
      options.server ?? createHttpServer(ownRequestListener(options.routes ? routes : undefined, options.path));
    this.detachRoutes = !this.ownsHttp && options.routes ? interceptRoutes(this.http, routes) : undefined;
    this.binding = bindWs(this.http, this.hub, {
      path: options.path,
      isAllowedOrigin: options.isAllowedOrigin,
      maxPayload: options.maxFrameBytes,
      ownServer: this.ownsHttp,
      perMessageDeflate: options.perMessageDeflate,
    });
  }

  /** @internal */
  async listen(): Promise<void> {
    if (!this.ownsHttp) return;
    const http = this.http;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      http.once('error', onError);
      http.listen(this.options.port, this.options.host, () => {
        http.off('error', onError);
        // Kept so that port and url stay readable after close().
        this.lastAddress = http.address() as AddressInfo;
        this.options.logger.info({ url: this.url }, 'listening');
        resolve();
      });
    });
  }

  private address(): AddressInfo {
    const address = this.http.address() ?? this.lastAddress;
    if (address === null || address === undefined || typeof address === 'string') {
      throw new Error(
        'server.port/url: the http.Server is not listening on a TCP port yet; call its listen() first',
      );
    }
    return address;
  }

  /** The TCP port the server listens on (the real one when created with port 0). */
  get port(): number {
    return this.address().port;
  }

  /** The URL clients connect to, e.g. `ws://127.0.0.1:8080/`. `localhost` stands for all interfaces. */
  get url(): string {
    const { address, family, port } = this.address();
    const wildcard = address === '0.0.0.0' || address === '::';
    const host = wildcard ? 'localhost' : family === 'IPv6' || address.includes(':') ? `[${address}]` : address;
    const secure = typeof (this.http as { setSecureContext?: unknown }).setSecureContext === 'function';
    return `${secure ? 'wss' : 'ws'}://${host}:${port}${this.options.path ?? '/'}`;
  }

  /** The `/health` answer: status, sessions held and open sockets. */
  health(): { status: 'ok' | 'closing'; sessions: number; connections: number } {
    return {
      status: this.hub.closing ? 'closing' : 'ok',
      sessions: this.hub.sessions.size,
      connections: this.binding.socketCount,
    };
  }

  /** The `/metrics` answer, in the Prometheus text format. */
  metrics(): string {
    return this.hub.metrics.render({ sessions: this.hub.sessions.size, connections: this.binding.socketCount });
  }

  /**
   * Publishes to a channel: appends it to the channel's history (it gets the next offset)
   * and sends it to every subscriber, on every node sharing the store. Resolves with its
   * position once appended. Binary data is kept by reference in the history: do not
   * modify it after publishing.
   * @throws TypeError for an invalid channel name or data that is neither a string nor a
   * Uint8Array; RangeError for data larger than `maxMessageBytes`.
   * @example
   * await server.publish('room:42', JSON.stringify({ text: 'hi' }));
   */
  publish(channel: string, data: string | Uint8Array): Promise<{ channel: string; offset: number; epoch: string }> {
    return this.hub.channels.publish(channel, data);
  }

  /** Subscription counts on this server: `channels`, `subscriptions`, `subscribers(channel)`. */
  get channels(): ChannelStats {
    return this.hub.channels;
  }

  /**
   * Shuts down gracefully: refuses new upgrades, ends every session ('end' with reason
   * 'shutdown'; saved to the store, so a server sharing it can resume them), closes every
   * socket with `code`/`reason`, stops listening (if it listened itself) and clears every
   * timer. Safe to call more than once.
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.closing) return this.closing;
    const code = options.code ?? CloseCode.SERVICE_RESTART;
    if (!Number.isInteger(code) || !(code === 1000 || code === 1001 || (code >= 1011 && code <= 1014) || (code >= 3000 && code <= 4999))) {
      throw new RangeError(`server.close: code must be 1000, 1001, 1011–1014 or 3000–4999, got ${String(code)}`);
    }
    const reason = options.reason ?? formatRetryHint('restart', 1000, 5000);
    if (typeof reason !== 'string') throw new TypeError('server.close: reason must be a string');
    const timeoutMs = options.timeoutMs ?? 1000;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new RangeError(`server.close: timeoutMs must be a non-negative number, got ${String(timeoutMs)}`);
    }
    this.closing = this.shutdown(code, truncateUtf8(reason, Limits.maxCloseReasonBytes), timeoutMs);
    return this.closing;
  }

  private async shutdown(code: number, reason: string, timeoutMs: number): Promise<void> {
    this.hub.shutdown(code, reason);
    await this.binding.close(timeoutMs);
    this.detachRoutes?.();
    if (this.ownsHttp) await this.closeHttp(timeoutMs);
    await this.hub.channels.close().catch((error: unknown) => this.reportError(error));
    if (this.ownsStore) await this.hub.store.close?.();
  }

  private closeHttp(timeoutMs: number): Promise<void> {
    const http = this.http;
    if (!http.listening) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // Keep-alive connections (a load balancer polling /health) would hold close() open.
      const timer = setTimeout(() => http.closeAllConnections(), timeoutMs);
      http.close(() => {
        clearTimeout(timer);
        resolve();
      });
      http.closeIdleConnections();
    });
  }

  private reportError(error: unknown): void {
    const err = toError(error);
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else process.emitWarning(err);
  }
}

/**
 * Starts a Continuum server: resumable sessions with exactly-once, in-order delivery both
 * ways over WebSocket.
 *
 * @example
 * ```ts
 * const server = await createServer({ port: 8080 });
 * server.on('session', (session) => {
 *   session.on('message', (data) => session.send(data));
 * });
 * // later
 * await server.close();
 * ```
 * @throws TypeError / RangeError for invalid options; rejects if it cannot listen.
 */
export async function createServer<Identity = unknown>(
  options: ServerOptions<Identity>,
): Promise<ContinuumServer<Identity>> {
  const server = new ContinuumServer<Identity>(resolveOptions(options));
  try {
    await server.listen();
  } catch (error) {
    await server.close({ timeoutMs: 0 });
    throw error;
  }
  return server;
}
