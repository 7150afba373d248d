// A drop-in for the WHATWG WebSocket that stays connected, for servers that know
// nothing of Continuum. Same reconnecting `Link` as `Client`, no protocol, no
// eventemitter3: it dispatches WHATWG-style events itself.
import { ContinuumError, closePolicy, parseRetryHint } from '@continuum/protocol';
import { Link, type EndDecision, type Provider } from './link.js';
import { numberOption, checkUrl, resolveConnectionOptions, type ConnectionOptions, type OverflowPolicy } from './options.js';
import { webSocketTransport, type Transport, type TransportFactory } from './transport.js';

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
   * Detects a dead link even against servers that know nothing of Continuum.
   * Without `message`, any inbound traffic counts as a sign of life.
   */
  heartbeat?: {
    /** Send `message` this often, ms. @default 0 (never) */
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

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return data.length * 3;
  const d = data as { byteLength?: number; size?: number };
  return d.byteLength ?? d.size ?? 0;
}

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
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  readonly CONNECTING = CONNECTING;
  readonly OPEN = OPEN;
  readonly CLOSING = CLOSING;
  readonly CLOSED = CLOSED;

  onopen: Handler = null;
  onmessage: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;

  /** Kept across reconnects. `'blob'` (browser default), `'arraybuffer'`, or `'nodebuffer'` (a Uint8Array). */
  binaryType: string;

  private readonly link: Link;
  private readonly listeners: Record<string, Listener[]> = {};
  private queue: (string | Uint8Array | ArrayBuffer | ArrayBufferView | Blob)[] = [];
  private queuedBytes = 0;
  private closing = false;
  private currentUrl = '';
  private readonly o: ReturnType<typeof resolveRwsOptions>;

  constructor(
    url: Provider<string>,
    protocols: Provider<string | string[]> = [],
    options: ReconnectingWebSocketOptions = {},
  ) {
    checkUrl(url);
    this.o = resolveRwsOptions(options);
    if (typeof url === 'string') this.currentUrl = url;
    this.binaryType = typeof Blob === 'function' && !options.transport ? 'blob' : 'nodebuffer';
    const transport = options.transport ?? chooseTransport(options);
    const list = (p: string | string[]) => (typeof p === 'string' ? [p] : p);
    this.link = new Link(
      {
        ...resolveConnectionOptions(options),
        url,
        protocols: typeof protocols === 'function' ? async () => list(await protocols()) : list(protocols),
        transport,
      },
      {
        socketOpened: (_t: Transport, socketUrl: string) => {
          this.currentUrl = socketUrl;
          const { intervalMs, timeoutMs } = this.o.heartbeat;
          this.link.setHeartbeat({
            pingEveryMs: this.o.heartbeat.message === undefined ? 0 : intervalMs,
            deadAfterMs: intervalMs > 0 ? intervalMs + timeoutMs : 0,
          });
          this.link.established();
          this.dispatch({ type: 'open', target: this });
          this.flushQueue();
        },
        socketMessage: (data) => {
          if (this.o.heartbeat.isPong?.(data)) return;
          this.dispatch({ type: 'message', target: this, data: this.toBinaryType(data) });
        },
        decide: (end): EndDecision => {
          const override = this.o.shouldReconnect?.({ code: end.code, reason: end.reason, wasClean: end.wasClean });
          const hint = parseRetryHint(end.reason);
          if (override === false) return { reconnect: false };
          if (override === true || end.cause !== 'remote' || closePolicy(end.code) !== 'stop')
            return { reconnect: true, cause: 'server', ...(hint && { hint }) };
          return { reconnect: false };
        },
        socketEnded: (end) => {
          this.inCloseEvent = true;
          try {
            this.dispatch({ type: 'close', target: this, code: end.code, reason: end.reason, wasClean: end.wasClean });
          } finally {
            this.inCloseEvent = false;
          }
        },
        stateChanged: () => {},
        retryScheduled: () => {},
        failed: (error) => this.dispatch({ type: 'error', target: this, error, message: error.message }),
        ping: () => {
          const message = this.o.heartbeat.message;
          if (message !== undefined) this.link.transport?.send(message);
        },
      },
    );
    if (!options.startClosed) this.link.connect();
  }

  get readyState(): number {
    if (this.closing) return CLOSING;
    switch (this.link.state) {
      case 'open':
        return OPEN;
      case 'closed':
        return CLOSED;
      default:
        return CONNECTING;
    }
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
  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (
      typeof data !== 'string' &&
      !(data instanceof ArrayBuffer) &&
      !ArrayBuffer.isView(data) &&
      !(typeof Blob === 'function' && data instanceof Blob)
    )
      throw new ContinuumError('INVALID_ARGUMENT', 'send() takes a string, ArrayBuffer, typed array or Blob');
    const transport = this.link.transport;
    if (transport && this.link.state === 'open' && this.queue.length === 0) {
      this.write(transport, data);
      return;
    }
    if (this.link.state === 'closed' && this.closedByApp) {
      this.report(new ContinuumError('CLIENT_CLOSED', 'send() after close(): call reconnect() first'));
      return;
    }
    const size = sizeOf(data);
    const { maxMessages, maxBytes, overflow } = this.o.queue;
    if (size > maxBytes || maxMessages === 0) {
      this.report(new ContinuumError('OUTBOX_FULL', `a message of ${size} bytes can never fit the queue (maxBytes ${maxBytes}); not queued`));
      return;
    }
    while (this.queue.length >= maxMessages || this.queuedBytes + size > maxBytes) {
      if (overflow !== 'drop-oldest' || this.queue.length === 0) {
        this.report(new ContinuumError('OUTBOX_FULL', `queue full (${this.queue.length} messages); the message was not queued`));
        return;
      }
      this.queuedBytes -= sizeOf(this.queue.shift());
      this.report(new ContinuumError('EVICTED', 'the oldest queued message was dropped to make room (overflow: drop-oldest)'));
    }
    this.queue.push(data);
    this.queuedBytes += size;
  }

  private closedByApp = false;
  /** True while a socket's close event is being dispatched: a close() there adds no second one. */
  private inCloseEvent = false;

  /** Closes and stops reconnecting. Emits exactly one `close` event. */
  close(code = 1000, reason = ''): void {
    // As the WHATWG WebSocket does: only 1000 and 3000–4999 may be sent.
    if (code !== 1000 && !(code >= 3000 && code <= 4999))
      throw new ContinuumError('INVALID_ARGUMENT', `close code must be 1000 or 3000–4999, got ${code}`);
    if (this.closedByApp || (this.link.state === 'closed' && !this.link.transport)) return;
    this.closedByApp = true;
    const hadSocket = this.link.transport !== undefined;
    // A close() from inside a socket's close listener adds no second event.
    const silent = this.inCloseEvent;
    this.closing = hadSocket;
    void this.link.close(code, reason, 'closed by the app').then(() => {
      this.closing = false;
      if (!silent) this.dispatch({ type: 'close', target: this, code, reason, wasClean: hadSocket });
    });
  }

  /** Connects again now: after `close()`, after retries ran out, or to drop a live socket. */
  reconnect(code?: number, reason?: string): void {
    void code;
    void reason;
    this.closedByApp = false;
    this.closing = false;
    this.link.reconnect('reconnect()');
  }

  addEventListener(type: string, listener: Listener | null): void {
    if (!listener) return;
    const list = (this.listeners[type] ??= []);
    if (!list.includes(listener)) list.push(listener);
  }

  removeEventListener(type: string, listener: Listener | null): void {
    const list = this.listeners[type];
    if (list && listener) this.listeners[type] = list.filter((l) => l !== listener);
  }

  dispatchEvent(event: { type: string }): boolean {
    const e = event as RwsEvent;
    const handler = (this as unknown as Record<string, Handler>)[`on${e.type}`];
    const call = (fn: Listener) => {
      try {
        if (typeof fn === 'function') fn.call(this, e);
        else fn.handleEvent(e);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    };
    if (typeof handler === 'function') call(handler);
    for (const listener of this.listeners[e.type] ?? []) call(listener);
    return true;
  }

  private dispatch(event: RwsEvent): void {
    this.dispatchEvent(event);
  }

  private report(error: ContinuumError): void {
    this.dispatch({ type: 'error', target: this, error, message: error.message });
  }

  /** Set while a Blob is being read: later messages wait behind it. */
  private blobChain: Promise<void> | undefined;

  private write(transport: Transport, data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    // A Blob is read asynchronously. A WebSocket keeps send() order, Blobs included,
    // so while one is read everything sent after it waits in the same chain.
    const isBlob = typeof Blob === 'function' && data instanceof Blob;
    if (this.blobChain || isBlob) {
      // Bytes are copied now, as WebSocket.send() does: the app may reuse its buffer.
      const later: string | Uint8Array | Blob = isBlob || typeof data === 'string' ? (data as string | Blob) : copyBytes(data as ArrayBuffer | ArrayBufferView);
      const chain: Promise<void> = (this.blobChain ?? Promise.resolve())
        .then<string | Uint8Array | ArrayBuffer>(() => (typeof later === 'string' || later instanceof Uint8Array ? later : later.arrayBuffer()))
        .then(
          (ready) => {
            const current = this.link.transport;
            if (current) sendNow(current, ready);
          },
          (cause) => this.report(new ContinuumError('INVALID_ARGUMENT', `could not read the Blob: ${String(cause)}`, { cause })),
        )
        .finally(() => {
          if (this.blobChain === chain) this.blobChain = undefined;
        });
      this.blobChain = chain;
      return;
    }
    sendNow(transport, data as string | ArrayBuffer | ArrayBufferView);
  }

  private flushQueue(): void {
    const transport = this.link.transport;
    while (transport && this.link.state === 'open' && this.queue.length > 0) {
      const data = this.queue.shift()!;
      this.queuedBytes -= sizeOf(data);
      this.write(transport, data);
    }
    if (this.queue.length === 0) this.queuedBytes = 0;
  }

  private toBinaryType(data: string | Uint8Array): unknown {
    if (typeof data === 'string') return data;
    if (this.binaryType === 'arraybuffer') {
      // ws hands out Buffers that are views into a larger network buffer: copy
      // exactly this message's bytes unless the view covers its whole buffer.
      return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
        ? data.buffer
        : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    }
    if (this.binaryType === 'blob' && typeof Blob === 'function') return new Blob([data as BlobPart]);
    return data;
  }
}

function copyBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data.slice(0)) : new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

function sendNow(transport: Transport, data: string | ArrayBuffer | ArrayBufferView): void {
  if (typeof data === 'string') transport.send(data);
  else if (data instanceof ArrayBuffer) transport.send(new Uint8Array(data));
  else transport.send(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function resolveRwsOptions(o: ReconnectingWebSocketOptions) {
  const q = o.queue ?? {};
  const h = o.heartbeat ?? {};
  return {
    shouldReconnect: o.shouldReconnect,
    queue: {
      maxMessages: numberOption('queue.maxMessages', q.maxMessages, 1000, 0),
      maxBytes: numberOption('queue.maxBytes', q.maxBytes, 4 * 1024 * 1024, 0),
      overflow: q.overflow ?? 'reject',
    },
    heartbeat: {
      intervalMs: numberOption('heartbeat.intervalMs', h.intervalMs, 0, 0),
      timeoutMs: numberOption('heartbeat.timeoutMs', h.timeoutMs, 10_000, 1),
      message: h.message,
      isPong: h.isPong,
    },
  };
}

function chooseTransport(options: ReconnectingWebSocketOptions): TransportFactory {
  const ctor = options.WebSocket ?? (globalThis as { WebSocket?: ReconnectingWebSocketOptions['WebSocket'] }).WebSocket;
  if (!ctor)
    throw new ContinuumError(
      'INVALID_ARGUMENT',
      'no WebSocket implementation found: in Node use @continuum/node, or pass the `WebSocket` option',
    );
  return webSocketTransport(ctor);
}
