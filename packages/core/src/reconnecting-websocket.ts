// A drop-in for the WHATWG WebSocket that stays connected, for servers that know
// nothing of Continuum. Same reconnecting `Link` as `Client`, no protocol, no
// eventemitter3: it dispatches WHATWG-style events itself.
//
// Kept small on purpose, in bytes and in memory: this module imports nothing that
// `Client` alone needs, an idle instance holds a handful of small objects and no
// closures of its own (the Link's callbacks are one object with prototype methods),
// and options that are left at their defaults share one frozen object.
import { ContinuumError, closePolicy, parseRetryHint, type ErrorCode } from '@continuum/protocol';
import { BaseLink, noHeartbeat, type EndDecision, type HeartbeatPlan, type LinkOwner, type Provider, type SocketEnd } from './link.js';
import { checkKeys, checkUrl, connectionKeys, numbers, resolveConnectionOptions, type ConnectionOptions, type OverflowPolicy } from './options.js';
import { bytesOf, checkCloseCode, chooseTransport, type Transport } from './transport.js';

export interface ReconnectingWebSocketOptions extends ConnectionOptions {
  /** Messages sent while not connected wait here, in order. */
  queue?: {
    /** @default 1000 */
    maxMessages?: number;
    /** @default 4194304 (4 MiB) */
    maxBytes?: number;
    /** `'reject'`: the new message is not queued; `'drop-oldest'`: the oldest is dropped. Either way an `error` event says so. @default 'reject' */
    overflow?: OverflowPolicy;
  };
  /**
   * Detects a dead link even against servers that know nothing of Continuum, and keeps
   * idle proxies from closing a quiet one. Without `message`, the ping is the WebSocket
   * protocol's own where the platform can send one (Node): every server answers it by
   * itself. Browsers cannot: there, without `message`, no ping is sent and any inbound
   * traffic counts as a sign of life.
   */
  heartbeat?: {
    /** Ping this often, ms; 0 turns the heartbeat off. @default 30000 when there is a ping to send (`message`, or Node's protocol ping), else 0 */
    intervalMs?: number;
    /** The link is dead after `intervalMs + timeoutMs` of inbound silence, ms. @default 10000 */
    timeoutMs?: number;
    /** The ping to send, e.g. `'ping'` or `'{"type":"ping"}'`. */
    message?: string | Uint8Array;
    /** Which inbound message is the pong; it is not dispatched to the app. */
    isPong?: (data: string | Uint8Array) => boolean;
  };
  /** Start in CLOSED; call `reconnect()` to connect. @default false */
  startClosed?: boolean;
}

/** The event objects this class dispatches: WHATWG-shaped plain objects (Node 20 has no CloseEvent). */
export interface RwsEvent {
  type: string;
  target: ReconnectingWebSocket;
  data?: unknown;
  code?: number;
  reason?: string;
  wasClean?: boolean;
  error?: ContinuumError;
  message?: string;
}

type Listener = ((event: RwsEvent) => void) | { handleEvent(event: RwsEvent): void };
type Handler = ((event: RwsEvent) => void) | null;
type Data = string | ArrayBuffer | ArrayBufferView | Blob;

/** The drop-in's own options, resolved. One shared object when none is set; every field always present, so default and resolved settings share one shape (read per message). */
interface Settings {
  maxMessages: number;
  maxBytes: number;
  overflow: OverflowPolicy;
  /** The liveness plan when the socket has a ping to send; resolved once. */
  heartbeat: HeartbeatPlan;
  /** `heartbeat.intervalMs` was set: without a ping to send, silence alone still decides. */
  heartbeatAsked: boolean;
  ping: string | Uint8Array | undefined;
  isPong: ((data: string | Uint8Array) => boolean) | undefined;
  shouldReconnect: ConnectionOptions['shouldReconnect'];
}

/** Without `heartbeat.intervalMs`, a socket that can ping (a `message`, or protocol pings) pings every 30 s (proxies often close links idle for 60 s). */
const defaultHeartbeat: HeartbeatPlan = /* @__PURE__ */ Object.freeze({ pingEveryMs: 30_000, deadAfterMs: 40_000 });

const defaults: Settings = /* @__PURE__ */ Object.freeze({
  maxMessages: 1000,
  maxBytes: 4 * 1024 * 1024,
  overflow: 'reject',
  heartbeat: defaultHeartbeat,
  heartbeatAsked: false,
  ping: undefined,
  isPong: undefined,
  shouldReconnect: undefined,
});

const handlerOf: Record<string, string> = { open: 'onopen', message: 'onmessage', close: 'onclose', error: 'onerror' };

/** Shared by every instance without listeners or subprotocols; never mutated. */
const empty: never[] = [];

/**
 * A WebSocket that reconnects: backoff with jitter, connect timeout, a bounded
 * and reported queue, an optional heartbeat, and every listener kept across
 * reconnects.
 *
 * @example
 * const ws = new ReconnectingWebSocket('wss://example.com/feed', [], { heartbeat: { intervalMs: 15000, message: 'ping', isPong: (d) => d === 'pong' } });
 * ws.onmessage = (event) => console.log(event.data);
 */
export class ReconnectingWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  // On the prototype, as WebSocket has them: not four more fields per instance.
  get CONNECTING(): 0 {
    return 0;
  }
  get OPEN(): 1 {
    return 1;
  }
  get CLOSING(): 2 {
    return 2;
  }
  get CLOSED(): 3 {
    return 3;
  }

  onopen: Handler = null;
  onmessage: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;

  /** Kept across reconnects. `'blob'` (browser default), `'arraybuffer'`, or `'nodebuffer'` (a Uint8Array). */
  binaryType: string;

  private readonly settings: Settings;
  private readonly link: BaseLink;
  /** `[type, listener, once]` each; replaced on change, never mutated, so a dispatch in progress is unaffected. */
  private listeners: readonly (readonly [string, Listener, boolean])[] = empty;
  /** Messages waiting for a socket; created when the first one waits. */
  private queue: Data[] | undefined = undefined;
  private queuedBytes = 0;
  /** 0: not closed by the app; 1: `close()` was called and the socket is closing; 2: closed by the app. */
  private appClose: 0 | 1 | 2 = 0;
  /** True while a socket's close event is being dispatched: a close() there adds no second one. */
  private inCloseEvent = false;
  /** Set while a Blob is being read: later messages wait behind it. */
  private blobChain: Promise<void> | undefined = undefined;
  private currentUrl: string;

  constructor(url: Provider<string>, protocols: Provider<string | string[]> = empty, options: ReconnectingWebSocketOptions = {}) {
    checkUrl(url);
    this.settings = resolveSettings(options);
    this.binaryType = typeof Blob === 'function' && !options.transport ? 'blob' : 'nodebuffer';
    this.currentUrl = typeof url === 'string' ? url : '';
    const link = (this.link = new BaseLink(
      { url, protocols, transport: chooseTransport(options, (globalThis as { WebSocket?: ReconnectingWebSocketOptions['WebSocket'] }).WebSocket) },
      new ReconnectingWebSocket.Owner(this),
      resolveConnectionOptions(options),
    ));
    if (!options.startClosed) link.connect();
  }

  get readyState(): number {
    const state = this.link.state;
    return this.appClose === 1 ? 2 : state === 'open' ? 1 : state === 'closed' ? 3 : 0;
  }

  /** The URL of the current (or last) socket; the URL provider's result when one is used. */
  get url(): string {
    return this.currentUrl;
  }
  get protocol(): string {
    return this.link.transport?.protocol ?? '';
  }
  get extensions(): string {
    return this.link.transport?.extensions ?? '';
  }
  /** Bytes in the socket plus bytes waiting in the queue (strings counted at up to 3 bytes a character). */
  get bufferedAmount(): number {
    return (this.link.transport?.bufferedAmount ?? 0) + this.queuedBytes;
  }

  /** Sends now when open; otherwise queues (bounded, overflow reported as an `error` event). */
  send(data: Data): void {
    if (typeof data !== 'string' && !(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data) && !isBlob(data))
      throw new ContinuumError('INVALID_ARGUMENT', 'send() takes a string, ArrayBuffer, typed array or Blob');
    const { link, settings } = this;
    const { maxMessages, maxBytes } = settings;
    const transport = link.transport;
    if (transport && link.state === 'open' && !this.queue) return this.write(transport, data);
    if (this.appClose && link.state === 'closed') return this.report('CLIENT_CLOSED', 'send() after close(): call reconnect() first');
    const size = sizeOf(data);
    const queue = this.queue ?? [];
    while (queue.length >= maxMessages || this.queuedBytes + size > maxBytes) {
      // Evicting cannot help a message that could never fit: refuse it, keep the others.
      const evict = settings.overflow === 'drop-oldest' && queue.length > 0 && size <= maxBytes;
      if (evict) this.queuedBytes -= sizeOf(queue.shift()!);
      this.report(
        evict ? 'EVICTED' : 'OUTBOX_FULL',
        `queue full (queue.maxMessages ${maxMessages}, queue.maxBytes ${maxBytes}): ${evict ? 'dropped the oldest message' : 'not queued'}`,
      );
      if (!evict) return;
    }
    queue.push(data);
    this.queue = queue;
    this.queuedBytes += size;
  }

  /** Closes and stops reconnecting. Emits exactly one `close` event. */
  close(code = 1000, reason = ''): void {
    checkCloseCode(code);
    const link = this.link;
    if (this.appClose || link.state === 'closed') return;
    const wasClean = link.transport !== undefined;
    // A close() from inside a socket's close listener adds no second event.
    const silent = this.inCloseEvent;
    this.appClose = wasClean ? 1 : 2;
    void link.close(code, reason, 'closed by the app').then(() => {
      if (this.appClose === 1) this.appClose = 2;
      if (!silent) this.emit({ type: 'close', code, reason, wasClean });
    });
  }

  /** Connects again now: after `close()`, after retries ran out, or to drop a live socket. */
  reconnect(_code?: number, _reason?: string): void {
    this.appClose = 0;
    this.link.reconnect('reconnect()');
  }

  /** As EventTarget's: a listener is added once per type; `{ once: true }` removes it before its first call. */
  addEventListener(type: string, listener: Listener | null, options?: boolean | { once?: boolean }): void {
    if (listener && !this.listeners.some(([t, l]) => t === type && l === listener))
      this.listeners = [...this.listeners, [type, listener, typeof options === 'object' && options.once === true]];
  }

  removeEventListener(type: string, listener: Listener | null): void {
    const rest = this.listeners.filter(([t, l]) => t !== type || l !== listener);
    this.listeners = rest.length ? rest : empty;
  }

  dispatchEvent(event: RwsEvent | { type: string }): boolean {
    const e = event as RwsEvent;
    const type = e.type;
    // The handler property first (a table, not `'on' + type`: no string built per message).
    const handler = (this as unknown as Record<string, unknown>)[handlerOf[type]!];
    if (typeof handler === 'function') invoke(this, handler as Listener, e);
    // Indexed, not destructured: no iterator per message while the code is still cold.
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      const entry = listeners[i]!;
      if (entry[0] !== type) continue;
      if (entry[2]) this.removeEventListener(type, entry[1]);
      invoke(this, entry[1], e);
    }
    return true;
  }

  /** Dispatches one of this socket's own events. */
  private emit(event: Omit<RwsEvent, 'target'>): void {
    (event as RwsEvent).target = this;
    this.dispatchEvent(event);
  }

  private fail(error: ContinuumError): void {
    this.emit({ type: 'error', error, message: error.message });
  }

  private report(code: ErrorCode, message: string, cause?: unknown): void {
    this.fail(new ContinuumError(code, message, { cause }));
  }

  private write(transport: Transport, data: Data): void {
    const blob = isBlob(data);
    if (!this.blobChain && !blob) return sendNow(transport, data as Exclude<Data, Blob>);
    // A Blob is read asynchronously. A WebSocket keeps send() order, Blobs included,
    // so while one is read everything sent after it waits in the same chain. Bytes
    // are copied now, as WebSocket.send() does: the app may reuse its buffer.
    const later = blob || typeof data === 'string' ? data : bytesOf(data as ArrayBuffer | ArrayBufferView).slice();
    const chain: Promise<void> = (this.blobChain ?? Promise.resolve())
      .then<string | Uint8Array | ArrayBuffer>(() => (isBlob(later) ? later.arrayBuffer() : later))
      .then(
        (ready) => {
          const current = this.link.transport;
          if (current) sendNow(current, ready);
        },
        (cause) => this.report('INVALID_ARGUMENT', `could not read the Blob: ${String(cause)}`, cause),
      )
      .finally(() => {
        if (this.blobChain === chain) this.blobChain = undefined;
      });
    this.blobChain = chain;
  }

  private flushQueue(): void {
    const { link, queue } = this;
    const transport = link.transport;
    // Sending cannot end the socket synchronously: one check covers the whole queue.
    if (!queue || !transport || link.state !== 'open') return;
    this.queue = undefined;
    this.queuedBytes = 0;
    for (let i = 0; i < queue.length; i++) {
      try {
        this.write(transport, queue[i]);
      } catch (cause) {
        // A transport that refuses a send (a custom one: a WHATWG socket throws only while
        // connecting) loses nothing: the rest waits, in order, for the next socket.
        this.queue = queue.slice(i);
        for (const data of this.queue) this.queuedBytes += sizeOf(data);
        return this.report('NOT_CONNECTED', `the socket refused a queued message; ${queue.length - i} wait for the next socket: ${String(cause)}`, cause);
      }
    }
  }

  /**
   * The Link's callbacks: one small object per instance whose methods live on its
   * prototype (a set of arrow functions would be a closure each, per instance).
   * Declared inside the class to reach its private members.
   */
  private static readonly Owner = class implements LinkOwner {
    constructor(private readonly ws: ReconnectingWebSocket) {}

    socketOpened(transport: Transport, url: string): void {
      const ws = this.ws;
      ws.currentUrl = url;
      ws.link.setHeartbeat(heartbeatFor(ws.settings, transport));
      ws.link.established();
      ws.emit({ type: 'open' });
      ws.flushQueue();
    }

    socketMessage(data: string | Uint8Array): void {
      const ws = this.ws;
      const binaryType = ws.binaryType;
      if (ws.settings.isPong?.(data)) return;
      let out: unknown = data;
      if (typeof data !== 'string') {
        if (binaryType === 'arraybuffer') {
          // ws hands out Buffers that are views into a larger network buffer: copy
          // exactly this message's bytes unless the view covers its whole buffer.
          const { buffer, byteOffset, byteLength } = data;
          out = byteOffset === 0 && byteLength === buffer.byteLength ? buffer : buffer.slice(byteOffset, byteOffset + byteLength);
        } else if (binaryType === 'blob' && typeof Blob === 'function') out = new Blob([data as BlobPart]);
      }
      ws.dispatchEvent({ type: 'message', target: ws, data: out });
    }

    decide({ code, reason, wasClean, cause, error }: SocketEnd): EndDecision {
      const override = this.ws.settings.shouldReconnect?.({ code, reason, wasClean, status: error?.status });
      // A socket that failed in a way no retry mends (in Node: the server refused the subprotocol asked for).
      if (override !== true && error && !error.retryable) return { reconnect: false, error };
      return override === false || (override !== true && cause === 'remote' && closePolicy(code) === 'stop')
        ? { reconnect: false }
        : { reconnect: true, cause: 'server', hint: parseRetryHint(reason) };
    }

    socketEnded({ code, reason, wasClean }: SocketEnd): void {
      const ws = this.ws;
      ws.inCloseEvent = true;
      ws.emit({ type: 'close', code, reason, wasClean });
      ws.inCloseEvent = false;
    }

    failed(error: ContinuumError): void {
      this.ws.fail(error);
    }

    /** Only called when the plan pings: with `heartbeat.message`, or a transport that has protocol pings. */
    ping(): void {
      const { link, settings } = this.ws;
      const ping = settings.ping;
      if (ping === undefined) link.transport?.ping?.();
      else link.transport?.send(ping);
    }
  };
}

/** Calls one listener as EventTarget does: an exception is reported, and dispatch goes on. */
function invoke(target: ReconnectingWebSocket, listener: Listener, event: RwsEvent): void {
  try {
    if (typeof listener === 'function') listener.call(target, event);
    else listener.handleEvent(event);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

function isBlob(data: unknown): data is Blob {
  return typeof Blob === 'function' && data instanceof Blob;
}

function sizeOf(data: Data): number {
  return typeof data === 'string' ? data.length * 3 : isBlob(data) ? data.size : data.byteLength;
}

function sendNow(transport: Transport, data: string | ArrayBuffer | ArrayBufferView): void {
  transport.send(typeof data === 'string' ? data : bytesOf(data));
}

/**
 * The liveness plan for one socket: what the options asked for, with the pings left out
 * where there is nothing to send (no `message`, no protocol ping: silence alone decides).
 */
function heartbeatFor({ heartbeat, heartbeatAsked, ping }: Settings, transport: Transport): HeartbeatPlan {
  if (ping !== undefined || typeof transport.ping === 'function' || heartbeat === noHeartbeat) return heartbeat;
  return heartbeatAsked ? { pingEveryMs: 0, deadAfterMs: heartbeat.deadAfterMs } : noHeartbeat;
}

function resolveSettings(o: ReconnectingWebSocketOptions): Settings {
  checkKeys('', o, `${connectionKeys} queue heartbeat startClosed`);
  checkKeys('queue', o.queue, 'maxMessages maxBytes overflow');
  checkKeys('heartbeat', o.heartbeat, 'intervalMs timeoutMs message isPong');
  const queue = o.queue ?? {};
  const heartbeat = o.heartbeat ?? {};
  const shouldReconnect = o.shouldReconnect;
  if (!o.queue && !o.heartbeat && !shouldReconnect) return defaults;
  const { intervalMs, timeoutMs } = numbers('heartbeat.', heartbeat, { intervalMs: -1, timeoutMs: 10_000 }, { intervalMs: 0, timeoutMs: 1 });
  const asked = intervalMs >= 0; // -1: not set
  const every = asked ? intervalMs : defaultHeartbeat.pingEveryMs;
  return {
    ...numbers('queue.', queue, defaults, { maxMessages: 0, maxBytes: 0 }),
    overflow: queue.overflow ?? 'reject',
    heartbeat:
      every === 0 ? noHeartbeat : !asked && timeoutMs === 10_000 ? defaultHeartbeat : { pingEveryMs: every, deadAfterMs: every + timeoutMs },
    heartbeatAsked: asked,
    ping: heartbeat.message,
    isPong: heartbeat.isPong,
    shouldReconnect,
  };
}
