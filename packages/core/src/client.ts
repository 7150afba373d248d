// `Client`: the public API, speaking the Continuum protocol over the shared
// reconnecting `Link`. Sequence numbers, acks and resume live here; sockets,
// backoff and liveness live in the link.
import {
  CloseCode,
  ContinuumError,
  FrameKind,
  Limits,
  PROTOCOL_VERSION,
  ProtocolViolation,
  SUBPROTOCOL,
  closePolicy,
  decodeFrame,
  decodeServerControl,
  encodeAck,
  encodeControl,
  encodeData,
  encodeResend,
  encodeVolatile,
  helloFor,
  parseRetryHint,
  utf8Length,
  type ErrorCode,
  type FrameEntry,
  type Gap,
  type Payload,
  type WelcomeMessage,
} from '@continuum/protocol';
import { ChannelRegistry, type ChannelHost, type SubscribeOptions, type Subscription } from './channels.js';
import { Emitter } from './emitter.js';
import { Link, type EndDecision, type LinkOwner, type Provider, type SocketEnd } from './link.js';
import { checkUrl, resolveClientOptions, type ClientOptions, type CloseInfo, type Codec, type ResolvedClientOptions } from './options.js';
import { Outbox, type OutboxEntry } from './outbox.js';
import { Scope } from './scope.js';
import type { ConnectionState } from './state.js';
import { webSocketTransport, type Transport, type TransportFactory } from './transport.js';

export interface StateEvent {
  state: ConnectionState;
  previous: ConnectionState;
  reason: string;
}
export interface CloseEvent {
  code: number;
  reason: string;
  wasClean: boolean;
  willReconnect: boolean;
}
export interface RetryEvent {
  attempt: number;
  delayMs: number;
  reason: string;
}
export interface SessionEvent {
  id: string;
  /** True when nothing was lost in either direction. */
  resumed: boolean;
  /** The session this one replaces, when the previous one could not be resumed. */
  previousId?: string;
  /** Server→client messages lost with the previous session. */
  gap?: Gap;
  /** What happened to this client's unacknowledged messages of the previous session. */
  unsent?: { resent: number; rejected: number };
}
export interface MessageMeta {
  /** Sequence number in the session; 0 for a volatile message. */
  seq: number;
  volatile?: boolean;
}
export interface ClientStats {
  state: ConnectionState;
  attempts: number;
  reconnects: number;
  resumes: number;
  sessionsLost: number;
  lastRttMs: number | undefined;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  duplicatesDropped: number;
  /** Messages sent again on a resumed session because the server had not received them. */
  retransmitted: number;
  outboxMessages: number;
  outboxBytes: number;
  overflowed: number;
  evicted: number;
}

export type ClientEvents<TReceive = string | Uint8Array> = {
  state: (event: StateEvent) => void;
  open: () => void;
  message: (data: TReceive, meta: MessageMeta) => void;
  close: (event: CloseEvent) => void;
  error: (error: ContinuumError) => void;
  retry: (event: RetryEvent) => void;
  session: (event: SessionEvent) => void;
};

export interface SendOptions {
  /** Never queued, replayed or acknowledged: for cursor positions and typing indicators. Rejects `NOT_CONNECTED` while offline. */
  volatile?: boolean;
}

export interface CloseOptions {
  code?: number;
  reason?: string;
  /** Wait until every accepted message was acknowledged before closing. */
  drain?: boolean;
  /** With `drain`: give up waiting after this long and reject what is left, ms. @default 10000 */
  timeoutMs?: number;
}

/** Acks go out when this many messages are unacknowledged, or after ACK_DELAY_MS. */
const ACK_EVERY = 64;
const ACK_DELAY_MS = 25;
/** Stop writing while the socket holds more than this; what waits stays in the outbox. */
const HIGH_WATER_BYTES = 1024 * 1024;
const MAX_BATCH_ENTRIES = 4096;
/** Frame budget until the server says otherwise. */
const DEFAULT_FRAME_BYTES = 1024 * 1024 + 65_536;

const noop = () => {};

/** What `send()` takes without a codec. */
export type SendData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

const utf8 = new TextDecoder();
/** `codec: 'json'`: objects in, objects out; binary frames are decoded as UTF-8 JSON too. */
export const jsonCodec: Codec<unknown, unknown> = {
  encode: (value) => {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('JSON cannot encode this value');
    return text;
  },
  decode: (data) => JSON.parse(typeof data === 'string' ? data : utf8.decode(data)),
};

/**
 * A resumable Continuum session over a WebSocket that reconnects by itself.
 * Every server message is delivered once, in order, across reconnects; every
 * `send()` settles exactly once.
 *
 * @example
 * const client = new Client('wss://example.com/live');
 * client.on('message', (data) => console.log(data));
 * await client.send('hello');
 */
export class Client<TSend = SendData, TReceive = string | Uint8Array> extends Emitter<ClientEvents<TReceive>> {
  private readonly options: ResolvedClientOptions;
  private readonly codec: Codec | undefined;
  private readonly link: Link;
  private readonly scope: Scope;
  private readonly outbox = new Outbox();
  private readonly channels = new ChannelRegistry(this.channelHost());
  private readonly tokenProvider: Provider<string> | undefined;
  private readonly credentialsStatic: boolean;

  // session
  private sessionId: string | undefined;
  private resumeToken: string | undefined;
  private nextSeq = 1;
  /** Highest contiguous server sequence number delivered to the app. */
  private recv = 0;
  private ackSent = 0;
  private ready = false;
  private welcome: WelcomeMessage | undefined;
  private frameBudget = DEFAULT_FRAME_BYTES;
  private serverMaxMessageBytes = Infinity;

  // per socket
  private volatileQueue: { entry: FrameEntry; resolve: () => void }[] = [];
  private flushQueued = false;
  private cancelAckTimer: (() => void) | undefined;
  private cancelDrainPoll: (() => void) | undefined;
  private pingSentAt = 0;
  private lastCredential: string | undefined;
  private refusedCredential: string | undefined;
  private rejectAfterTooBig = false;
  private overflowReported = false;
  private closedByApp = false;

  private readonly counters = {
    resumes: 0,
    sessionsLost: 0,
    lastRttMs: undefined as number | undefined,
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    duplicatesDropped: 0,
    retransmitted: 0,
    overflowed: 0,
    evicted: 0,
  };

  constructor(url: Provider<string>, options: ClientOptions = {}) {
    super();
    checkUrl(url);
    this.options = resolveClientOptions(options);
    const codec = options.codec;
    if (codec !== undefined && codec !== 'json' && (typeof codec !== 'object' || typeof codec.encode !== 'function' || typeof codec.decode !== 'function'))
      throw new ContinuumError('INVALID_ARGUMENT', "codec must be 'json' or an object with encode() and decode()");
    this.codec = codec === 'json' ? jsonCodec : codec;
    const transport = chooseTransport(options);
    this.tokenProvider = options.token;
    if (options.token !== undefined && typeof options.token !== 'string' && typeof options.token !== 'function')
      throw new ContinuumError('INVALID_ARGUMENT', 'token must be a string or a function returning one');
    this.credentialsStatic = typeof url === 'string' && typeof options.token !== 'function';
    const extra = options.protocols;
    const protocols: Provider<string[]> =
      typeof extra === 'function'
        ? async () => [SUBPROTOCOL, ...(await extra())]
        : [SUBPROTOCOL, ...(extra ?? [])];
    this.scope = new Scope(this.options.clock);
    this.link = new Link({ ...this.options, url, protocols, transport }, this.linkOwner());
    this.shouldReconnect = options.shouldReconnect;
    if (this.options.autoConnect) this.link.connect('constructed');
  }

  private readonly shouldReconnect: ((close: CloseInfo) => boolean | undefined) | undefined;

  /** The connection state. */
  get state(): ConnectionState {
    return this.link.state;
  }

  /** The current session id, once the first handshake completed. */
  get sessionIdentifier(): string | undefined {
    return this.sessionId;
  }

  /**
   * Sends a message. Resolves when the server acknowledged it (its handler ran);
   * rejects with a `ContinuumError` when it can never be delivered. The promise is
   * marked handled, so ignoring it never produces an unhandled rejection.
   * Throws synchronously only for a wrong argument type.
   */
  send(data: TSend, options: SendOptions = {}): Promise<void> {
    const payload = this.codec ? this.encode(data) : toPayload(data);
    const size = typeof payload === 'string' ? utf8Length(payload) : payload.length;
    if (this.state === 'closed' && !this.options.autoConnect && !this.closedByApp && this.link.attempts === 0) {
      // Not connected yet (autoConnect: false): accepted into the outbox like any offline send.
    } else if (this.state === 'closed') {
      return rejected(new ContinuumError('CLIENT_CLOSED', 'the client is closed; call reconnect() to send again'));
    }
    const limit = Math.min(this.options.maxMessageBytes, this.serverMaxMessageBytes);
    if (size > limit)
      return rejected(new ContinuumError('MESSAGE_TOO_LARGE', `message of ${size} bytes exceeds the limit of ${limit} bytes`));
    if (options.volatile) return this.sendVolatile(payload);
    return this.accept(payload, size);
  }

  /**
   * Subscribes to a channel, or returns the existing subscription of that channel. The
   * subscription survives reconnects: publications are delivered once, in offset order;
   * when continuity is lost it emits `gap`. Throws `INVALID_ARGUMENT` for an invalid
   * channel name (1–200 characters of `A-Za-z0-9_:.@/=-`) or `since`.
   *
   * @example
   * const sub = client.subscribe('room:42');
   * sub.on('publication', (data, { offset }) => show(data));
   */
  subscribe(channel: string, options?: SubscribeOptions): Subscription<TSend, TReceive> {
    return this.channels.subscribe<TSend, TReceive>(channel, options);
  }

  /** The subscription of `channel`, if subscribed. */
  getSubscription(channel: string): Subscription<TSend, TReceive> | undefined {
    return this.channels.get(channel);
  }

  /** How many channels are subscribed. */
  get subscriptionCount(): number {
    return this.channels.size;
  }

  private channelHost(): ChannelHost {
    const self = this;
    return {
      get ready() {
        return self.ready && self.link.transport !== undefined;
      },
      sendControl: (message) => this.link.transport?.send(encodeControl(message)),
      publish: (channel, data) => this.publishTo(channel, data as TSend),
      decode: (data) => (this.codec ? this.codec.decode(data) : data),
    };
  }

  /** `sub.publish()`: a session message with the channel flag, acked or nacked like any other. */
  private publishTo(channel: string, data: TSend): Promise<void> {
    const payload = this.codec ? this.encode(data) : toPayload(data);
    const size = typeof payload === 'string' ? utf8Length(payload) : payload.length;
    if (this.state === 'closed' && (this.closedByApp || this.link.attempts > 0 || this.options.autoConnect)) {
      return rejected(new ContinuumError('CLIENT_CLOSED', 'the client is closed; call reconnect() to publish again'));
    }
    const limit = Math.min(this.options.maxMessageBytes, this.serverMaxMessageBytes);
    if (size > limit)
      return rejected(new ContinuumError('MESSAGE_TOO_LARGE', `message of ${size} bytes exceeds the limit of ${limit} bytes`));
    return this.accept(payload, size, channel);
  }

  private encode(value: unknown): Payload {
    let encoded: unknown;
    try {
      encoded = this.codec!.encode(value);
    } catch (cause) {
      throw new ContinuumError('INVALID_ARGUMENT', `the codec could not encode this value: ${String(cause)}`, { cause });
    }
    if (typeof encoded !== 'string' && !(encoded instanceof Uint8Array))
      throw new ContinuumError('INVALID_ARGUMENT', 'the codec must encode to a string or a Uint8Array');
    return encoded;
  }

  /** Delivers one message, decoded when a codec is set; a decode failure is an error event, never a throw. */
  private emitMessage(data: Payload, meta: MessageMeta): void {
    if (!this.codec) return this.emit('message', data as TReceive, meta);
    let value: TReceive;
    try {
      value = this.codec.decode(data) as TReceive;
    } catch (cause) {
      this.emit('error', new ContinuumError('DECODE_FAILED', `message ${meta.seq} could not be decoded: ${String(cause)}`, { cause, data }));
      return;
    }
    this.emit('message', value, meta);
  }

  /** Starts connecting when created with `autoConnect: false`. */
  connect(): void {
    this.closedByApp = false;
    this.link.connect('connect()');
  }

  /** Drops the current socket (if any) and connects again now; also leaves `closed`. */
  reconnect(): void {
    this.closedByApp = false;
    this.link.reconnect('reconnect()');
  }

  /**
   * Closes for good. With `drain`, waits until every accepted message was
   * acknowledged (or `timeoutMs` passed), then closes with 1000. Pending sends
   * reject with `CLIENT_CLOSED`. Leaves no timer, listener or socket behind.
   */
  close(codeOrOptions?: number | CloseOptions, reason?: string): Promise<void> {
    const o: CloseOptions = typeof codeOrOptions === 'object' ? codeOrOptions : { code: codeOrOptions, reason };
    const code = o.code ?? CloseCode.NORMAL;
    if (code !== 1000 && !(code >= 3000 && code <= 4999))
      throw new ContinuumError('INVALID_ARGUMENT', `close code must be 1000 or 3000–4999, got ${code}`);
    return this.closeNow(code, o);
  }

  private async closeNow(code: number, o: CloseOptions): Promise<void> {
    if (o.drain && this.outbox.length > 0 && this.state !== 'closed') await this.drainOutbox(o.timeoutMs ?? 10_000);
    if (this.closedByApp && this.state === 'closed') return;
    this.closedByApp = true;
    const hadSocket = this.link.transport !== undefined;
    // This session will never be resumed: the server may end it now instead of keeping it
    // (and the app's view of this client as present) until its TTL runs out.
    if (this.ready) this.link.transport?.send(encodeControl({ t: 'bye' }));
    const reason = o.reason ?? '';
    const closing = this.link.close(code, reason, 'closed by the app');
    this.scope.clear();
    if (hadSocket) this.emit('close', { code, reason, wasClean: true, willReconnect: false });
    await closing;
  }

  /** A snapshot of counters, for dashboards and debugging instead of logs. */
  stats(): ClientStats {
    return {
      state: this.state,
      attempts: this.link.attempts,
      reconnects: this.link.reconnects,
      ...this.counters,
      outboxMessages: this.outbox.length,
      outboxBytes: this.outbox.bytes,
    };
  }

  /** Checks the link now (the network changed, the page became visible). Adapters call it. */
  checkConnection(reason: string, withinMs = 3000): void {
    if (this.state === 'open') this.link.probe(withinMs);
    else if (this.state !== 'closed') {
      void reason;
      this.link.attemptNow();
    }
  }

  // ---- sending ---------------------------------------------------------------------

  private accept(data: Payload, size: number, channel?: string): Promise<void> {
    const { outboxMaxMessages, outboxMaxBytes, overflow } = this.options;
    while (this.outbox.length >= outboxMaxMessages || this.outbox.bytes + size > outboxMaxBytes) {
      const evicted = overflow === 'drop-oldest' ? this.outbox.evictOldestUnsent() : undefined;
      if (!evicted) {
        this.counters.overflowed++;
        const error = new ContinuumError(
          'OUTBOX_FULL',
          `outbox full (${this.outbox.length} messages, ${this.outbox.bytes} bytes; limits ${outboxMaxMessages} / ${outboxMaxBytes})`,
          { retryable: true },
        );
        this.reportOverflow(error);
        return rejected(error);
      }
      this.counters.evicted++;
      const error = new ContinuumError('EVICTED', 'evicted from a full outbox by a newer message (overflow: drop-oldest)');
      evicted.reject(error);
      this.reportOverflow(error);
    }
    let resolve!: () => void;
    let reject!: (error: ContinuumError) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(noop);
    this.outbox.push({ data, size, seq: 0, settled: false, resolve, reject, ...(channel !== undefined && { channel }) });
    this.queueFlush();
    return promise;
  }

  /** One `error` event per event-loop turn, however many sends overflowed in it. */
  private reportOverflow(error: ContinuumError): void {
    if (this.overflowReported) return;
    this.overflowReported = true;
    queueMicrotask(() => {
      this.overflowReported = false;
    });
    this.emit('error', error);
  }

  private sendVolatile(data: Payload): Promise<void> {
    if (!this.ready) return rejected(new ContinuumError('NOT_CONNECTED', 'volatile messages are only sent while connected', { retryable: true }));
    return new Promise<void>((resolve) => {
      this.volatileQueue.push({ entry: { data }, resolve });
      this.queueFlush();
    });
  }

  private queueFlush(): void {
    if (this.flushQueued || !this.ready) return;
    this.flushQueued = true;
    // End of the current turn, never a timer: a lone message leaves now,
    // messages sent together share a frame.
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const transport = this.link.transport;
    if (!transport || !this.ready) return;
    const maxEntries = this.options.batch ? MAX_BATCH_ENTRIES : 1;
    const batchBytes = Math.min(this.frameBudget, Limits.batchTargetBytes);
    if (this.volatileQueue.length > 0) {
      const queue = this.volatileQueue;
      this.volatileQueue = [];
      for (let start = 0; start < queue.length; ) {
        // Text counted at 3 bytes per UTF-16 unit: an upper bound, no encoding pass.
        let end = start;
        for (let bytes = 16; end < queue.length && end - start < maxEntries; end++) {
          const data = queue[end].entry.data;
          bytes += (typeof data === 'string' ? data.length * 3 : data.length) + 8;
          if (end > start && bytes > batchBytes) break;
        }
        this.write(transport, encodeVolatile(queue.slice(start, end).map((v) => v.entry)), end - start);
        start = end;
      }
      for (const v of queue) v.resolve();
    }
    const outbox = this.outbox;
    while (outbox.transmitted < outbox.length) {
      if (transport.bufferedAmount > HIGH_WATER_BYTES) {
        this.waitForDrain(transport);
        return;
      }
      const first = outbox.at(outbox.transmitted);
      if (first.origin) {
        if (first.seq === 0) first.seq = this.nextSeq++;
        this.ackSent = this.recv;
        this.write(transport, encodeResend(this.recv, first.seq, first.origin.id, first.origin.seq, entryOf(first)), 1);
        outbox.transmitted++;
        continue;
      }
      const entries: FrameEntry[] = [];
      let bytes = 16;
      let firstSeq = 0;
      while (outbox.transmitted < outbox.length && entries.length < maxEntries) {
        const e = outbox.at(outbox.transmitted);
        if (e.origin || (entries.length > 0 && bytes + e.size + 8 > batchBytes)) break;
        if (e.seq === 0) e.seq = this.nextSeq++;
        if (entries.length === 0) firstSeq = e.seq;
        entries.push(entryOf(e));
        bytes += e.size + 8;
        outbox.transmitted++;
      }
      this.ackSent = this.recv;
      this.write(transport, encodeData(this.recv, firstSeq, entries), entries.length);
    }
    if (this.ackSent < this.recv) this.sendAck(transport);
  }

  private write(transport: Transport, frame: Uint8Array | string, messages: number): void {
    transport.send(frame);
    this.counters.framesOut++;
    this.counters.messagesOut += messages;
    this.counters.bytesOut += typeof frame === 'string' ? frame.length : frame.length;
  }

  private waitForDrain(transport: Transport): void {
    if (this.cancelDrainPoll) return;
    const resume = () => {
      this.cancelDrainPoll?.();
      this.cancelDrainPoll = undefined;
      this.queueFlush();
    };
    // The poll guarantees progress; a transport that reports drains resumes sooner.
    this.cancelDrainPoll = this.scope.timeout(resume, 5);
    transport.whenDrained?.(() => {
      if (this.link.transport === transport && this.cancelDrainPoll) resume();
    }, HIGH_WATER_BYTES / 2);
  }

  private sendAck(transport: Transport): void {
    this.cancelAckTimer?.();
    this.cancelAckTimer = undefined;
    this.ackSent = this.recv;
    transport.send(encodeAck(this.recv));
    this.counters.framesOut++;
  }

  private scheduleAck(): void {
    const pending = this.recv - this.ackSent;
    if (pending <= 0) return;
    if (pending >= ACK_EVERY) {
      this.queueFlush();
      return;
    }
    // A queued flush ends with the ack (in its DATA frame or alone): no timer needed.
    if (this.cancelAckTimer || this.flushQueued) return;
    this.cancelAckTimer = this.scope.timeout(() => {
      this.cancelAckTimer = undefined;
      const transport = this.link.transport;
      if (transport && this.ready && this.ackSent < this.recv) this.sendAck(transport);
    }, ACK_DELAY_MS);
  }

  private drainOutbox(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.outbox.length === 0 || this.state === 'closed') {
          cancelTimer();
          cancelPoll();
          resolve();
        } else cancelPoll = this.scope.timeout(check, 10);
      };
      let cancelPoll = noop;
      const cancelTimer = this.scope.timeout(() => {
        cancelPoll();
        const left = this.outbox.drain();
        const error = new ContinuumError('CLIENT_CLOSED', `drain timed out after ${timeoutMs} ms; ${left.length} message(s) not acknowledged`);
        for (const e of left) if (!e.settled) e.reject(error);
        resolve();
      }, timeoutMs);
      check();
    });
  }

  // ---- receiving -------------------------------------------------------------------

  private onMessage(data: string | Uint8Array): void {
    this.counters.framesIn++;
    this.counters.bytesIn += data.length;
    try {
      if (typeof data === 'string') this.onControl(data);
      else if (this.ready) this.onFrame(data);
      else throw new ProtocolViolation('data frame before the handshake completed');
    } catch (error) {
      if (!(error instanceof ProtocolViolation)) throw error;
      this.protocolError(error.message);
    }
  }

  private protocolError(message: string): void {
    const error = new ContinuumError('PROTOCOL_ERROR', `the server broke the protocol: ${message}`, { retryable: true });
    this.link.drop(CloseCode.CONTINUUM_PROTOCOL_ERROR, 'protocol error', error);
  }

  private onControl(text: string): void {
    const message = decodeServerControl(text);
    if (!message) return;
    const transport = this.link.transport;
    switch (message.t) {
      case 'welcome':
        if (this.ready) throw new ProtocolViolation('a second welcome');
        this.onWelcome(message);
        return;
      case 'ping':
        transport?.send(encodeControl({ t: 'pong' }));
        return;
      case 'pong':
        if (this.pingSentAt) this.counters.lastRttMs = this.options.clock.now() - this.pingSentAt;
        this.pingSentAt = 0;
        return;
      case 'nack': {
        const entry = this.outbox.findSeq(message.seq);
        if (entry && !entry.settled) {
          entry.settled = true;
          entry.reject(new ContinuumError('REJECTED_BY_SERVER', message.message || 'the server rejected the message'));
        }
        return;
      }
      case 'refresh':
        void this.refreshCredential();
        return;
      case 'error':
        this.emit('error', new ContinuumError(asErrorCode(message.code), message.message));
        return;
      case 'subscribed':
        this.channels.onSubscribed(message);
        return;
      case 'unsubscribed':
        this.channels.onUnsubscribed(message);
        return;
      default:
        return;
    }
  }

  private onFrame(bytes: Uint8Array): void {
    const frame = decodeFrame(bytes);
    switch (frame.kind) {
      case FrameKind.ACK:
        this.onAck(frame.ack);
        return;
      case FrameKind.DATA: {
        this.onAck(frame.ack);
        const entries = frame.entries;
        for (let i = 0; i < entries.length; i++) this.deliver(frame.firstSeq + i, entries[i].data);
        this.scheduleAck();
        return;
      }
      case FrameKind.RESEND:
        this.onAck(frame.ack);
        this.deliver(frame.seq, frame.entry.data);
        this.scheduleAck();
        return;
      case FrameKind.VOLATILE:
        for (const e of frame.entries) {
          this.counters.messagesIn++;
          this.emitMessage(e.data, { seq: 0, volatile: true });
        }
        return;
      case FrameKind.PUBLICATION:
        this.counters.messagesIn += frame.entries.length;
        this.channels.onPublication(frame.channel, frame.epoch, frame.firstOffset, frame.entries);
        return;
      default:
        return;
    }
  }

  private deliver(seq: number, data: Payload): void {
    if (seq <= this.recv) {
      this.counters.duplicatesDropped++;
      return;
    }
    if (seq !== this.recv + 1) throw new ProtocolViolation(`sequence skipped from ${this.recv} to ${seq}`);
    this.recv = seq;
    this.counters.messagesIn++;
    this.emitMessage(data, { seq });
  }

  private onAck(ack: number): void {
    const outbox = this.outbox;
    if (ack >= this.nextSeq) throw new ProtocolViolation(`ack ${ack} for a message never sent (next ${this.nextSeq})`);
    while (outbox.length > 0) {
      const e = outbox.at(0);
      if (e.seq === 0 || e.seq > ack) break;
      outbox.shift();
      if (!e.settled) e.resolve();
    }
  }

  // ---- handshake and session -------------------------------------------------------

  private async sayHello(transport: Transport, url: string): Promise<void> {
    if (transport.protocol !== SUBPROTOCOL) {
      const error = new ContinuumError(
        'PROTOCOL_ERROR',
        `the server did not select the ${SUBPROTOCOL} subprotocol (got ${JSON.stringify(transport.protocol)}); is it a Continuum server? For other servers use ReconnectingWebSocket`,
      );
      this.link.drop(CloseCode.PROTOCOL_ERROR, 'subprotocol required', error);
      return;
    }
    let token: string | undefined;
    try {
      token = this.tokenProvider === undefined ? undefined : typeof this.tokenProvider === 'function' ? await this.tokenProvider() : this.tokenProvider;
    } catch (cause) {
      this.link.drop(CloseCode.NORMAL, 'token provider failed', new ContinuumError('AUTH_EXPIRED', `the token provider failed: ${String(cause)}`, { retryable: true, cause }));
      return;
    }
    if (this.link.transport !== transport) return;
    const credential = `${url}\n${token ?? ''}`;
    this.lastCredential = credential;
    if (this.refusedCredential !== undefined && credential === this.refusedCredential) {
      this.link.drop(CloseCode.NORMAL, 'credential unchanged', new ContinuumError('AUTH_EXPIRED', 'the server refused this credential (4401) and the provider returned it again'));
      return;
    }
    const resume = this.sessionId && this.resumeToken ? { id: this.sessionId, token: this.resumeToken, recv: this.recv } : undefined;
    transport.send(encodeControl(helloFor(resume, token)));
  }

  private onWelcome(w: WelcomeMessage): void {
    if (w.v !== PROTOCOL_VERSION) {
      const error = new ContinuumError('PROTOCOL_ERROR', `the server speaks protocol version ${w.v}, this client ${PROTOCOL_VERSION}`);
      this.link.drop(CloseCode.PROTOCOL_ERROR, 'unsupported protocol version', error);
      return;
    }
    this.refusedCredential = undefined;
    this.welcome = w;
    this.serverMaxMessageBytes = w.maxMessageBytes;
    this.frameBudget = Math.max(1024, w.maxFrameBytes - 64);
    const previousId = this.sessionId;
    const event: SessionEvent = { id: w.id, resumed: w.resumed };
    const outbox = this.outbox;
    if (w.resumed) {
      if (w.id !== previousId) throw new ProtocolViolation('resumed a session the client did not ask for');
      if (w.recv >= this.nextSeq || w.ack > w.recv) throw new ProtocolViolation('welcome acknowledges messages never sent');
      this.counters.resumes++;
      this.onAck(w.ack);
      // Everything after recv never reached the server: number it again from
      // recv + 1, so a rejected message leaves no hole in the sequence.
      let kept = 0;
      while (kept < outbox.length && outbox.at(kept).seq !== 0 && outbox.at(kept).seq <= w.recv) kept++;
      for (let i = kept; i < outbox.length; i++) {
        const e = outbox.at(i);
        if (e.seq !== 0) this.counters.retransmitted++;
        e.seq = 0;
      }
      this.nextSeq = w.recv + 1;
      outbox.transmitted = kept;
      if (this.rejectAfterTooBig && kept < outbox.length) this.rejectTooBig(kept);
    } else {
      if (previousId !== undefined) {
        this.counters.sessionsLost++;
        event.previousId = previousId;
        if (w.gap) event.gap = w.gap;
        event.unsent = this.settleLostSession(previousId, w.previous);
      }
      this.nextSeq = 1;
      this.recv = 0;
      this.ackSent = 0;
      outbox.transmitted = 0;
      // The message the server refused with 1009 is the first one it never handled.
      if (this.rejectAfterTooBig && outbox.length > 0 && outbox.at(0).origin) this.rejectTooBig(0);
    }
    this.rejectAfterTooBig = false;
    // A new server limit may be lower than what was accepted while offline.
    for (let i = outbox.transmitted; i < outbox.length; i++) {
      const e = outbox.at(i);
      if (e.size > w.maxMessageBytes) this.rejectAt(i--, new ContinuumError('MESSAGE_TOO_LARGE', `message of ${e.size} bytes exceeds the server's limit of ${w.maxMessageBytes} bytes`));
    }
    this.sessionId = w.id;
    this.resumeToken = w.token;
    const interval = this.options.heartbeatIntervalMs;
    const watchEvery = interval > 0 ? Math.min(interval, w.pingMs) : w.pingMs;
    this.link.setHeartbeat({ pingEveryMs: interval, deadAfterMs: watchEvery + this.options.heartbeatTimeoutMs });
    this.ready = true;
    this.link.established();
    // Subscriptions belong to the socket: ask for every one again, from its last position.
    this.channels.connected();
    this.emit('session', event);
    this.emit('open');
    this.queueFlush();
  }

  /** After a lost session: settle what the server reported handled, resend or reject the rest. */
  private settleLostSession(previousId: string, previous: { id: string; ack: number } | undefined): { resent: number; rejected: number } {
    const ack = previous && previous.id === previousId ? previous.ack : 0;
    const outbox = this.outbox;
    let resent = 0;
    let rejectedCount = 0;
    for (let i = 0; i < outbox.length; i++) {
      const e = outbox.at(i);
      if (e.seq === 0) break; // never transmitted: goes out normally
      if (e.seq <= ack) {
        if (!e.settled) e.resolve();
        e.settled = true;
      } else if (this.options.onSessionLost === 'reject') {
        if (!e.settled) e.reject(new ContinuumError('SESSION_LOST', 'the session was lost before the server acknowledged this message'));
        e.settled = true;
        rejectedCount++;
      } else if (!e.settled) {
        e.origin = { id: previousId, seq: e.seq };
        resent++;
      }
      e.seq = 0;
    }
    // Drop the settled ones; the rest keep their order.
    const keep = outbox.drain().filter((e) => !e.settled);
    for (const e of keep) outbox.push(e);
    return { resent, rejected: rejectedCount };
  }

  private rejectTooBig(index: number): void {
    this.rejectAt(index, new ContinuumError('MESSAGE_TOO_LARGE', 'the server closed with 1009 (message too big) on this message; it is not sent again'));
  }

  private rejectAt(index: number, error: ContinuumError): void {
    const transmitted = this.outbox.transmitted;
    const all = this.outbox.drain();
    const [victim] = all.splice(index, 1);
    for (const e of all) this.outbox.push(e);
    this.outbox.transmitted = index < transmitted ? transmitted - 1 : transmitted;
    if (victim && !victim.settled) victim.reject(error);
  }

  private async refreshCredential(): Promise<void> {
    const provider = this.tokenProvider;
    if (typeof provider !== 'function') return;
    // Answer on the socket that asked: after a reconnect the new socket's own
    // hello carries a fresh credential, and an early `auth` would break its handshake.
    const asked = this.link.transport;
    try {
      const token = await provider();
      if (asked && asked === this.link.transport && this.ready) asked.send(encodeControl({ t: 'auth', token }));
    } catch (cause) {
      this.emit('error', new ContinuumError('AUTH_EXPIRED', `the token provider failed during a refresh: ${String(cause)}`, { retryable: true, cause }));
    }
  }

  // ---- link events -----------------------------------------------------------------

  private linkOwner(): LinkOwner {
    return {
      socketOpened: (transport, url) => void this.sayHello(transport, url),
      socketMessage: (data) => this.onMessage(data),
      decide: (end) => this.decide(end),
      socketEnded: (end, willReconnect) => {
        if (end.code === CloseCode.RATE_LIMITED)
          this.emit('error', new ContinuumError('RATE_LIMITED', `the server is rate limiting this client: ${end.reason || '4429'}`, { retryable: true }));
        this.ready = false;
        this.channels.disconnected();
        this.cancelAckTimer?.();
        this.cancelAckTimer = undefined;
        this.outbox.transmitted = 0;
        if (end.code === CloseCode.MESSAGE_TOO_BIG) this.rejectAfterTooBig = true;
        if (end.code === CloseCode.UNAUTHORIZED) this.refusedCredential = this.lastCredential;
        const volatile = this.volatileQueue;
        this.volatileQueue = [];
        for (const v of volatile) v.resolve();
        this.emit('close', { code: end.code, reason: end.reason, wasClean: end.wasClean, willReconnect });
      },
      stateChanged: (state, previous, reason) => {
        if (state === 'closed') this.onClosed(reason);
        this.emit('state', { state, previous, reason });
      },
      retryScheduled: (attempt, delayMs, reason) => this.emit('retry', { attempt, delayMs, reason }),
      failed: (error) => this.emit('error', error),
      ping: () => {
        const transport = this.link.transport;
        if (!transport) return;
        this.pingSentAt = this.options.clock.now();
        transport.send(encodeControl({ t: 'ping' }));
      },
    };
  }

  private decide(end: SocketEnd): EndDecision {
    if (end.error?.code === 'AUTH_EXPIRED' && !end.error.retryable) return { reconnect: false, error: end.error };
    if (end.error?.code === 'PROTOCOL_ERROR' && !end.error.retryable) return { reconnect: false, error: end.error };
    const override = this.shouldReconnect?.({ code: end.code, reason: end.reason, wasClean: end.wasClean });
    if (override === false) return { reconnect: false };
    const hint = parseRetryHint(end.reason);
    if (override === true) return { reconnect: true, cause: 'server', ...(hint && { hint }) };
    if (end.cause === 'local' || end.cause === 'timeout' || end.cause === 'error') {
      return { reconnect: true, cause: 'server', ...(hint && { hint }) };
    }
    switch (closePolicy(end.code)) {
      case 'stop':
        return { reconnect: false, ...(terminalError(end) && { error: terminalError(end) }) };
      case 'refresh-credentials':
        if (this.credentialsStatic)
          return { reconnect: false, error: new ContinuumError('AUTH_EXPIRED', `the server refused the credential (4401 ${end.reason}) and no url or token provider can supply a new one`) };
        return { reconnect: true, cause: 'client', ...(hint && { hint }) };
      default:
        return {
          reconnect: true,
          cause: end.code === CloseCode.TRY_AGAIN_LATER && !hint ? 'slow-down' : 'server',
          ...(hint && { hint }),
        };
    }
  }

  private onClosed(reason: string): void {
    this.ready = false;
    this.cancelAckTimer?.();
    this.cancelAckTimer = undefined;
    this.cancelDrainPoll?.();
    this.cancelDrainPoll = undefined;
    // A closed client has settled everything; a message in flight may still
    // have been handled by the server.
    const error = new ContinuumError('CLIENT_CLOSED', `the client closed (${reason}) before the server acknowledged this message`);
    for (const e of this.outbox.drain()) if (!e.settled) e.reject(error);
    this.channels.closed(`the client closed (${reason})`);
    // No resume after a close: a new connect starts a new session with no gap to report.
    this.sessionId = undefined;
    this.resumeToken = undefined;
    this.recv = 0;
    this.ackSent = 0;
    this.nextSeq = 1;
  }
}

function terminalError(end: SocketEnd): ContinuumError | undefined {
  const code = end.code;
  const detail = `closed by the server with ${code}${end.reason ? ` (${end.reason})` : ''}`;
  if (code === CloseCode.NORMAL || code === CloseCode.SESSION_REPLACED) return undefined;
  if (code === CloseCode.FORBIDDEN) return new ContinuumError('AUTH_FORBIDDEN', detail);
  if (code === CloseCode.PROTOCOL_ERROR || code === CloseCode.UNSUPPORTED_DATA || code === CloseCode.INVALID_PAYLOAD || code === CloseCode.UNSUPPORTED_VERSION)
    return new ContinuumError('PROTOCOL_ERROR', detail);
  return new ContinuumError('REJECTED_BY_SERVER', detail);
}

const errorCodes = new Set<string>([
  'INVALID_ARGUMENT', 'CONNECT_TIMEOUT', 'HANDSHAKE_REFUSED', 'AUTH_EXPIRED', 'AUTH_FORBIDDEN', 'HEARTBEAT_TIMEOUT',
  'OUTBOX_FULL', 'EVICTED', 'MESSAGE_TOO_LARGE', 'SESSION_LOST', 'CLIENT_CLOSED', 'NOT_CONNECTED', 'REJECTED_BY_SERVER',
  'RATE_LIMITED', 'PROTOCOL_ERROR', 'RECONNECT_EXHAUSTED', 'DECODE_FAILED',
]);
function asErrorCode(code: string): ErrorCode {
  return (errorCodes.has(code) ? code : 'REJECTED_BY_SERVER') as ErrorCode;
}

function entryOf(e: OutboxEntry): FrameEntry {
  return e.channel === undefined ? { data: e.data } : { data: e.data, channel: e.channel };
}

function rejected(error: ContinuumError): Promise<void> {
  const promise = Promise.reject(error);
  promise.catch(noop);
  return promise;
}

/** Accepts strings, ArrayBuffers and typed arrays; anything else is a programmer error. */
export function toPayload(data: unknown): Payload {
  if (typeof data === 'string') return data;
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const what = data === null ? 'null' : typeof data === 'object' ? (data.constructor?.name ?? 'object') : typeof data;
  throw new ContinuumError('INVALID_ARGUMENT', `send() takes a string, ArrayBuffer or typed array, got ${what}`);
}

function chooseTransport(options: ClientOptions): TransportFactory {
  if (options.transport) return options.transport;
  if (options.WebSocket) return webSocketTransport(options.WebSocket);
  throw new ContinuumError(
    'INVALID_ARGUMENT',
    'no WebSocket implementation found: in Node use @continuum/node, in browsers @continuum/browser, or pass the `WebSocket` option',
  );
}
