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
  errorCodes,
  helloFor,
  parseRetryHint,
  utf8Length,
  type ClientControl,
  type ErrorCode,
  type Gap,
  type Payload,
  type WelcomeMessage,
} from '@continuum/protocol';
import { ChannelRegistry, checkChannel, type ChannelHost, type SubscribeOptions, type Subscription } from './channels.js';
import { Emitter } from './emitter.js';
import { Link, type EndDecision, type LinkOwner, type Provider, type SocketEnd } from './link.js';
import { checkUrl, invalid, resolveClientOptions, type ClientOptions, type CloseInfo, type Codec, type ResolvedClientOptions } from './options.js';
import { Outbox } from './outbox.js';
import { Scope } from './scope.js';
import type { ConnectionState } from './state.js';
import { checkCloseCode, chooseTransport, type Transport } from './transport.js';

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
  /**
   * With `resumed: true`: how many server messages follow that this client missed while
   * away (sent again from the server's replay buffer); 0 when it missed nothing. Absent
   * when the server does not say (an older server).
   */
  replayed?: number;
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

/** A volatile message waiting for the end of the turn; resolves once written. */
interface VolatileEntry {
  data: Payload;
  size: number;
  resolve: () => void;
}

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
  private readonly token: Provider<string> | undefined;
  /** Neither the url nor the token can change: a refused credential (4401) is final. */
  private readonly credentialsStatic: boolean;
  private readonly shouldReconnect: ((close: CloseInfo) => boolean | undefined) | undefined;

  // session
  private sessionId: string | undefined;
  private resumeToken: string | undefined;
  private nextSeq = 1;
  /** Highest contiguous server sequence number delivered to the app. */
  private recv = 0;
  private ackSent = 0;
  /** The current socket is past its welcome. */
  private ready = false;
  private frameBudget = DEFAULT_FRAME_BYTES;
  private serverMaxMessageBytes = Infinity;

  // per socket
  private volatileQueue: VolatileEntry[] = [];
  private flushQueued = false;
  /** The one pending flush timer (the ack delay, or the back-pressure poll). */
  private cancelFlushTimer: (() => void) | undefined;
  private pingSentAt = 0;
  private lastCredential: string | undefined;
  private refusedCredential: string | undefined;
  /** The server closed with 1009: the first message it never handled is rejected, not sent again. */
  private rejectAfterTooBig = false;
  private overflowReported = false;
  private closedByApp = false;
  /** `close({ drain: true })` calls waiting for the outbox to empty. */
  private drainWaiters: (() => void)[] = [];

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
    const { codec, token, protocols: extra } = options;
    if (codec !== undefined && codec !== 'json' && (typeof codec !== 'object' || typeof codec.encode !== 'function' || typeof codec.decode !== 'function'))
      invalid('codec', "'json' or an object with encode() and decode()", codec);
    if (token !== undefined && typeof token !== 'string' && typeof token !== 'function') invalid('token', 'a string or a function returning one', token);
    this.codec = codec === 'json' ? jsonCodec : codec;
    this.token = token;
    this.credentialsStatic = typeof url === 'string' && typeof token !== 'function';
    this.shouldReconnect = options.shouldReconnect;
    const transport = chooseTransport(options);
    const protocols: Provider<string[]> =
      typeof extra === 'function' ? async () => [SUBPROTOCOL, ...(await extra())] : [SUBPROTOCOL, ...(extra ?? [])];
    this.scope = new Scope(this.options.clock);
    this.link = new Link({ ...this.options, url, protocols, transport }, this.linkOwner());
    if (this.options.autoConnect) this.link.connect('constructed');
  }

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
    return this.post(data, undefined, options.volatile);
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

  /**
   * Publishes to a channel without subscribing to it, for a producer that does not read
   * the channel. Like `sub.publish()`: a session message, queued while offline and
   * handled exactly once; resolves when the server appended it, rejects
   * `REJECTED_BY_SERVER` when `authorize` refused it. Throws `INVALID_ARGUMENT` for an
   * invalid channel name.
   *
   * @example
   * await client.publish('prices:eur', { bid: 1.08 });
   */
  publish(channel: string, data: TSend): Promise<void> {
    checkChannel(channel);
    return this.post(data, channel);
  }

  /** The subscription of `channel`, if subscribed. */
  getSubscription(channel: string): Subscription<TSend, TReceive> | undefined {
    return this.channels.get(channel);
  }

  /** How many channels are subscribed. */
  get subscriptionCount(): number {
    return this.channels.size;
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
    checkCloseCode(code);
    return this.closeNow(code, o);
  }

  private async closeNow(code: number, o: CloseOptions): Promise<void> {
    if (o.drain && this.outbox.length > 0 && this.state !== 'closed') await this.drainOutbox(o.timeoutMs ?? 10_000);
    if (this.closedByApp && this.state === 'closed') return;
    this.closedByApp = true;
    const transport = this.link.transport;
    // This session will never be resumed: the server may end it now instead of keeping it
    // (and the app's view of this client as present) until its TTL runs out.
    if (this.ready) this.control({ t: 'bye' });
    const reason = o.reason ?? '';
    // Sends made before the first connect() (autoConnect: false) wait in the outbox of
    // a link that never left `closed`: no transition will settle them, so settle here.
    const settleNow = this.state === 'closed';
    const closing = this.link.close(code, reason, 'closed by the app');
    if (settleNow) this.onClosed('closed by the app');
    this.scope.clear();
    if (transport) this.emit('close', { code, reason, wasClean: true, willReconnect: false });
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
    void reason;
    if (this.state === 'open') this.link.probe(withinMs);
    else if (this.state !== 'closed') this.link.attemptNow();
  }

  // ---- sending ---------------------------------------------------------------------

  /** `send()` and `sub.publish()`: checked, then queued (or, volatile, written this turn). */
  private post(data: unknown, channel?: string, volatile?: boolean): Promise<void> {
    const payload = this.codec ? this.encode(data) : toPayload(data);
    const size = typeof payload === 'string' ? utf8Length(payload) : payload.length;
    // Before the first connect() (autoConnect: false) a send waits in the outbox like any offline one.
    if (this.state === 'closed' && (this.closedByApp || this.link.attempts > 0 || this.options.autoConnect))
      return rejected('CLIENT_CLOSED', 'the client is closed; call reconnect() to send again');
    const limit = Math.min(this.options.maxMessageBytes, this.serverMaxMessageBytes);
    if (size > limit) return rejected('MESSAGE_TOO_LARGE', `message of ${size} bytes exceeds the limit of ${limit} bytes`);
    if (volatile) {
      if (!this.ready) return rejected('NOT_CONNECTED', 'volatile messages are only sent while connected', true);
      return new Promise<void>((resolve) => {
        this.volatileQueue.push({ data: payload, size, resolve });
        this.queueFlush();
      });
    }
    const { outboxMaxMessages, outboxMaxBytes, overflow } = this.options;
    const outbox = this.outbox;
    while (outbox.length >= outboxMaxMessages || outbox.bytes + size > outboxMaxBytes) {
      const evicted = overflow === 'drop-oldest' && outbox.evictOldestUnsent();
      const error = evicted
        ? new ContinuumError('EVICTED', 'evicted from a full outbox by a newer message (overflow: drop-oldest)')
        : new ContinuumError('OUTBOX_FULL', `outbox full (${outbox.length} messages, ${outbox.bytes} bytes)`, { retryable: true });
      // One `error` event per event-loop turn, however many sends overflowed in it.
      if (!this.overflowReported) {
        this.overflowReported = true;
        queueMicrotask(() => (this.overflowReported = false));
        this.emit('error', error);
      }
      if (!evicted) {
        this.counters.overflowed++;
        return settled(Promise.reject(error));
      }
      this.counters.evicted++;
      evicted.reject(error);
    }
    let resolve!: () => void;
    let reject!: (error: ContinuumError) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    outbox.push({ data: payload, size, seq: 0, settled: false, resolve, reject, channel });
    this.queueFlush();
    return settled(promise);
  }

  private encode(value: unknown): Payload {
    let encoded: unknown;
    try {
      encoded = this.codec!.encode(value);
    } catch (cause) {
      throw new ContinuumError('INVALID_ARGUMENT', `the codec could not encode this value: ${cause}`, { cause });
    }
    if (typeof encoded !== 'string' && !(encoded instanceof Uint8Array)) invalid("the codec's encode() result", 'a string or a Uint8Array', encoded);
    return encoded;
  }

  /** Delivers one message, decoded when a codec is set; a decode failure is an error event, never a throw. */
  private emitMessage(data: Payload, meta: MessageMeta): void {
    let value: unknown = data;
    if (this.codec) {
      try {
        value = this.codec.decode(data);
      } catch (cause) {
        return this.emit('error', new ContinuumError('DECODE_FAILED', `message ${meta.seq} could not be decoded: ${cause}`, { cause, data }));
      }
    }
    this.emit('message', value as TReceive, meta);
  }

  private queueFlush(): void {
    if (this.flushQueued || !this.ready) return;
    this.flushQueued = true;
    // End of the current turn, never a timer: a lone message leaves now,
    // messages sent together share a frame.
    queueMicrotask(() => this.flush());
  }

  /** Flushes after `ms` unless a flush timer is already pending. */
  private flushIn(ms: number): void {
    this.cancelFlushTimer ??= this.scope.timeout(() => {
      this.cancelFlushTimer = undefined;
      this.flush();
    }, ms);
  }

  private stopFlushTimer(): void {
    this.cancelFlushTimer?.();
    this.cancelFlushTimer = undefined;
  }

  /** Writes volatile messages, then unsent outbox entries, in frames that `batchEnd` bounds; ends with the ack. */
  private flush(): void {
    this.flushQueued = false;
    const transport = this.link.transport;
    if (!transport || !this.ready) return;
    const volatile = this.volatileQueue;
    if (volatile.length > 0) {
      this.volatileQueue = [];
      for (let start = 0, end: number; start < volatile.length; start = end) {
        end = this.batchEnd((i) => (i < volatile.length ? volatile[i] : undefined), start);
        this.write(transport, encodeVolatile(volatile.slice(start, end)), end - start);
      }
      for (const v of volatile) v.resolve();
    }
    const outbox = this.outbox;
    let start: number;
    while ((start = outbox.transmitted) < outbox.length) {
      if (transport.bufferedAmount > HIGH_WATER_BYTES) {
        // The poll guarantees progress; a transport that reports drains resumes sooner.
        this.stopFlushTimer();
        this.flushIn(5);
        transport.whenDrained?.(() => {
          if (this.link.transport === transport && this.cancelFlushTimer) {
            this.stopFlushTimer();
            this.queueFlush();
          }
        }, HIGH_WATER_BYTES / 2);
        break;
      }
      const first = outbox.at(start);
      // A resend goes alone, in its own frame kind (it carries its idempotency key).
      const end = first.origin ? start + 1 : this.batchEnd((i) => (i < outbox.length && !outbox.at(i).origin ? outbox.at(i) : undefined), start);
      for (let i = start; i < end; i++) if (!outbox.at(i).seq) outbox.at(i).seq = this.nextSeq++;
      outbox.transmitted = end;
      this.ackSent = this.recv;
      const frame = first.origin
        ? encodeResend(this.recv, first.seq, first.origin.id, first.origin.seq, first)
        : encodeData(this.recv, first.seq, outbox.slice(start, end));
      this.write(transport, frame, end - start);
    }
    if (this.ackSent < this.recv) {
      this.ackSent = this.recv;
      this.write(transport, encodeAck(this.recv), 0);
    }
    if (outbox.transmitted === outbox.length) this.stopFlushTimer();
  }

  /**
   * Where the frame that starts at `start` ends: at most MAX_BATCH_ENTRIES messages
   * (one with `batch: false`) and the batch budget in bytes, but at least one message.
   */
  private batchEnd(at: (i: number) => { size: number } | undefined, start: number): number {
    const maxEntries = this.options.batch ? MAX_BATCH_ENTRIES : 1;
    const budget = Math.min(this.frameBudget, Limits.batchTargetBytes);
    let end = start;
    for (let bytes = 16, e; (e = at(end)) && end - start < maxEntries; end++) {
      bytes += e.size + 8;
      if (end > start && bytes > budget) break;
    }
    return end;
  }

  private write(transport: Transport, frame: Uint8Array | string, messages: number): void {
    transport.send(frame);
    const c = this.counters;
    c.framesOut++;
    c.messagesOut += messages;
    c.bytesOut += frame.length;
  }

  private control(message: ClientControl): void {
    this.link.transport?.send(encodeControl(message));
  }

  private scheduleAck(): void {
    const pending = this.recv - this.ackSent;
    // A queued flush ends with the ack (in its DATA frame or alone): no timer needed.
    if (pending >= ACK_EVERY) this.queueFlush();
    else if (pending > 0 && !this.flushQueued) this.flushIn(ACK_DELAY_MS);
  }

  /**
   * Waits until the outbox is empty or the client closed (polled: acks arrive in
   * batches); after `timeoutMs`, rejects what is left. A close meanwhile ends the wait
   * at once (`onClosed`), so a plain `close()` during a draining one settles both.
   */
  private drainOutbox(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let cancelPoll = noop;
      const finish = () => {
        cancelTimer();
        cancelPoll();
        this.drainWaiters = this.drainWaiters.filter((f) => f !== finish);
        resolve();
      };
      const cancelTimer = this.scope.timeout(() => {
        const unacked = this.outbox.drain();
        const error = new ContinuumError('CLIENT_CLOSED', `drain timed out after ${timeoutMs} ms; ${unacked.length} message(s) not acknowledged`);
        for (const e of unacked) if (!e.settled) e.reject(error);
        finish();
      }, timeoutMs);
      const check = () => {
        if (this.outbox.length === 0 || this.state === 'closed') finish();
        else cancelPoll = this.scope.timeout(check, 10);
      };
      this.drainWaiters.push(finish);
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
      else fail('data frame before the handshake completed');
    } catch (error) {
      if (!(error instanceof ProtocolViolation)) throw error;
      this.link.drop(
        CloseCode.CONTINUUM_PROTOCOL_ERROR,
        'protocol error',
        new ContinuumError('PROTOCOL_ERROR', `the server broke the protocol: ${error.message}`, { retryable: true }),
      );
    }
  }

  private onControl(text: string): void {
    const m = decodeServerControl(text);
    switch (m?.t) {
      case 'welcome':
        if (this.ready) fail('a second welcome');
        return this.onWelcome(m);
      case 'ping':
        return this.control({ t: 'pong' });
      case 'pong':
        if (this.pingSentAt) this.counters.lastRttMs = this.options.clock.now() - this.pingSentAt;
        this.pingSentAt = 0;
        return;
      case 'nack': {
        const e = this.outbox.findSeq(m.seq);
        if (e && !e.settled) {
          e.settled = true;
          e.reject(new ContinuumError('REJECTED_BY_SERVER', m.message || 'the server rejected the message'));
        }
        return;
      }
      case 'refresh':
        return void this.refreshCredential();
      case 'error':
        return this.emit('error', new ContinuumError((errorCodes as readonly string[]).includes(m.code) ? (m.code as ErrorCode) : 'REJECTED_BY_SERVER', m.message));
      case 'subscribed':
        return this.channels.onSubscribed(m);
      case 'unsubscribed':
        return this.channels.onUnsubscribed(m);
    }
  }

  private onFrame(bytes: Uint8Array): void {
    const frame = decodeFrame(bytes);
    const c = this.counters;
    switch (frame.kind) {
      case FrameKind.ACK:
        return this.onAck(frame.ack);
      case FrameKind.DATA:
      case FrameKind.RESEND: {
        this.onAck(frame.ack);
        const data = frame.kind === FrameKind.DATA;
        const first = data ? frame.firstSeq : frame.seq;
        const entries = data ? frame.entries : [frame.entry];
        for (let i = 0; i < entries.length; i++) {
          const seq = first + i;
          if (seq <= this.recv) c.duplicatesDropped++;
          else if (seq !== this.recv + 1) fail(`sequence skipped from ${this.recv} to ${seq}`);
          else {
            this.recv = seq;
            c.messagesIn++;
            this.emitMessage(entries[i].data, { seq });
          }
        }
        return this.scheduleAck();
      }
      case FrameKind.VOLATILE:
        for (const e of frame.entries) {
          c.messagesIn++;
          this.emitMessage(e.data, { seq: 0, volatile: true });
        }
        return;
      case FrameKind.PUBLICATION:
        c.messagesIn += frame.entries.length;
        return this.channels.onPublication(frame.channel, frame.epoch, frame.firstOffset, frame.entries);
    }
  }

  private onAck(ack: number): void {
    const outbox = this.outbox;
    if (ack >= this.nextSeq) fail(`ack ${ack} for a message never sent (next ${this.nextSeq})`);
    for (let e; (e = outbox.at(0)) && e.seq && e.seq <= ack; ) {
      outbox.shift();
      if (!e.settled) e.resolve();
    }
  }

  // ---- handshake and session -------------------------------------------------------

  private async sayHello(transport: Transport, url: string): Promise<void> {
    const link = this.link;
    if (transport.protocol !== SUBPROTOCOL) {
      return link.drop(
        CloseCode.PROTOCOL_ERROR,
        'subprotocol required',
        new ContinuumError('HANDSHAKE_REFUSED', `the server did not select the ${SUBPROTOCOL} subprotocol (got ${JSON.stringify(transport.protocol)}): not a Continuum server? Use ReconnectingWebSocket for others`),
      );
    }
    let token: string | undefined;
    try {
      const t = this.token;
      token = typeof t === 'function' ? await t() : t;
    } catch (cause) {
      return link.drop(CloseCode.NORMAL, 'token provider failed', new ContinuumError('AUTH_EXPIRED', `the token provider failed: ${cause}`, { retryable: true, cause }));
    }
    if (link.transport !== transport) return;
    const credential = (this.lastCredential = `${url}\n${token ?? ''}`);
    if (credential === this.refusedCredential)
      return link.drop(CloseCode.NORMAL, 'credential unchanged', new ContinuumError('AUTH_EXPIRED', 'the server refused this credential (4401) and the provider returned it again'));
    const resume = this.sessionId && this.resumeToken ? { id: this.sessionId, token: this.resumeToken, recv: this.recv } : undefined;
    transport.send(encodeControl(helloFor(resume, token)));
  }

  private onWelcome(w: WelcomeMessage): void {
    if (w.v !== PROTOCOL_VERSION) {
      return this.link.drop(
        CloseCode.PROTOCOL_ERROR,
        'unsupported protocol version',
        new ContinuumError('PROTOCOL_ERROR', `the server speaks protocol version ${w.v}, this client ${PROTOCOL_VERSION}`),
      );
    }
    this.refusedCredential = undefined;
    this.serverMaxMessageBytes = w.maxMessageBytes;
    this.frameBudget = Math.max(1024, w.maxFrameBytes - 64);
    const previousId = this.sessionId;
    const event: SessionEvent = { id: w.id, resumed: w.resumed };
    const outbox = this.outbox;
    // Entries the server received stay (an ack may still remove them); the rest are sent again.
    let kept = 0;
    if (w.resumed) {
      if (w.id !== previousId) fail('resumed a session the client did not ask for');
      if (w.recv >= this.nextSeq || w.ack > w.recv) fail('welcome acknowledges messages never sent');
      if (w.sent !== undefined) {
        if (w.sent < this.recv) fail(`welcome.sent ${w.sent} is below what the client received (${this.recv})`);
        event.replayed = w.sent - this.recv;
      }
      this.counters.resumes++;
      this.onAck(w.ack);
      // Everything after recv never reached the server: number it again from
      // recv + 1, so a rejected message leaves no hole in the sequence.
      while (kept < outbox.length && outbox.at(kept).seq && outbox.at(kept).seq <= w.recv) kept++;
      for (let i = kept; i < outbox.length; i++) {
        if (outbox.at(i).seq) this.counters.retransmitted++;
        outbox.at(i).seq = 0;
      }
      this.nextSeq = w.recv + 1;
    } else {
      if (previousId !== undefined) {
        this.counters.sessionsLost++;
        event.previousId = previousId;
        if (w.gap) event.gap = w.gap;
        event.unsent = this.settleLostSession(previousId, w.previous);
      }
      this.nextSeq = 1;
      this.recv = this.ackSent = 0;
    }
    outbox.transmitted = kept;
    // The message the server refused with 1009 is the first one it never handled
    // (after a lost session: only if it was sent, so it is now a resend).
    if (this.rejectAfterTooBig && kept < outbox.length && (w.resumed || outbox.at(0).origin))
      this.rejectAt(kept, new ContinuumError('MESSAGE_TOO_LARGE', 'the server closed with 1009 (message too big) on this message; it is not sent again'));
    this.rejectAfterTooBig = false;
    // A new server limit may be lower than what was accepted while offline.
    for (let i = kept; i < outbox.length; i++) {
      const e = outbox.at(i);
      if (e.size > w.maxMessageBytes) this.rejectAt(i--, new ContinuumError('MESSAGE_TOO_LARGE', `message of ${e.size} bytes exceeds the server's limit of ${w.maxMessageBytes} bytes`));
    }
    this.sessionId = w.id;
    this.resumeToken = w.token;
    const { heartbeatIntervalMs: interval, heartbeatTimeoutMs } = this.options;
    this.link.setHeartbeat({ pingEveryMs: interval, deadAfterMs: (interval > 0 ? Math.min(interval, w.pingMs) : w.pingMs) + heartbeatTimeoutMs });
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
    const ack = previous?.id === previousId ? previous.ack : 0;
    const outbox = this.outbox;
    const unsent = { resent: 0, rejected: 0 };
    for (let i = 0, e; (e = outbox.at(i)) && e.seq; i++) {
      // Sent before: handled (acked in `previous`), else rejected or resent with its idempotency key.
      if (e.settled) {
        // nacked: already rejected
      } else if (e.seq <= ack) {
        e.resolve();
        e.settled = true;
      } else if (this.options.onSessionLost === 'reject') {
        e.reject(new ContinuumError('SESSION_LOST', 'the session was lost before the server acknowledged this message'));
        e.settled = true;
        unsent.rejected++;
      } else {
        e.origin = { id: previousId, seq: e.seq };
        unsent.resent++;
      }
      e.seq = 0;
    }
    outbox.removeSettled();
    return unsent;
  }

  private rejectAt(index: number, error: ContinuumError): void {
    const victim = this.outbox.removeAt(index);
    if (!victim.settled) victim.reject(error);
  }

  private async refreshCredential(): Promise<void> {
    const provider = this.token;
    if (typeof provider !== 'function') return;
    // Answer on the socket that asked: after a reconnect the new socket's own
    // hello carries a fresh credential, and an early `auth` would break its handshake.
    const asked = this.link.transport;
    try {
      const token = await provider();
      if (asked && asked === this.link.transport && this.ready) this.control({ t: 'auth', token });
    } catch (cause) {
      this.emit('error', new ContinuumError('AUTH_EXPIRED', `the token provider failed during a refresh: ${cause}`, { retryable: true, cause }));
    }
  }

  // ---- link events -----------------------------------------------------------------

  private channelHost(): ChannelHost {
    const self = this;
    return {
      get ready() {
        return self.ready && !!self.link.transport;
      },
      sendControl: (message) => this.control(message),
      publish: (channel, data) => this.post(data, channel),
      decode: (data) => (this.codec ? this.codec.decode(data) : data),
    };
  }

  private linkOwner(): LinkOwner {
    return {
      socketOpened: (transport, url) => void this.sayHello(transport, url),
      socketMessage: (data) => this.onMessage(data),
      decide: (end) => this.decide(end),
      socketEnded: (end, willReconnect) => {
        const { code, reason, wasClean } = end;
        if (code === CloseCode.RATE_LIMITED)
          this.emit('error', new ContinuumError('RATE_LIMITED', `the server is rate limiting this client: ${reason || code}`, { retryable: true }));
        this.ready = false;
        this.channels.disconnected();
        this.stopFlushTimer();
        this.outbox.transmitted = 0;
        if (code === CloseCode.MESSAGE_TOO_BIG) this.rejectAfterTooBig = true;
        if (code === CloseCode.UNAUTHORIZED) this.refusedCredential = this.lastCredential;
        const volatile = this.volatileQueue;
        this.volatileQueue = [];
        for (const v of volatile) v.resolve();
        this.emit('close', { code, reason, wasClean, willReconnect });
      },
      stateChanged: (state, previous, reason) => {
        if (state === 'closed') this.onClosed(reason);
        this.emit('state', { state, previous, reason });
      },
      retryScheduled: (attempt, delayMs, reason) => this.emit('retry', { attempt, delayMs, reason }),
      failed: (error) => this.emit('error', error),
      ping: () => {
        this.pingSentAt = this.options.clock.now();
        this.control({ t: 'ping' });
      },
    };
  }

  private decide(end: SocketEnd): EndDecision {
    const { code, reason, cause, error } = end;
    if (error && !error.retryable && finalErrors.includes(error.code)) return { reconnect: false, error };
    const override = this.shouldReconnect?.({ code, reason, wasClean: end.wasClean, status: error?.status });
    if (override === false) return { reconnect: false };
    const hint = parseRetryHint(reason);
    // The socket failed here (dropped, timed out, errored), not by the server's word: try again.
    const forced = override === true || cause === 'local' || cause === 'timeout' || cause === 'error';
    const policy = forced ? 'reconnect' : closePolicy(code);
    const detail = `closed by the server with ${code}${reason ? ` (${reason})` : ''}`;
    if (policy === 'stop') {
      return {
        reconnect: false,
        error:
          code === CloseCode.NORMAL || code === CloseCode.SESSION_REPLACED
            ? undefined
            : new ContinuumError(stopErrors[code] ?? 'REJECTED_BY_SERVER', detail),
      };
    }
    if (policy === 'refresh-credentials') {
      return this.credentialsStatic
        ? { reconnect: false, error: new ContinuumError('AUTH_EXPIRED', `${detail}: the credential was refused and no url or token provider can supply a new one`) }
        : { reconnect: true, cause: 'client', hint };
    }
    return { reconnect: true, cause: !forced && code === CloseCode.TRY_AGAIN_LATER && !hint ? 'slow-down' : 'server', hint };
  }

  private onClosed(reason: string): void {
    this.ready = false;
    this.stopFlushTimer();
    for (const finish of this.drainWaiters) finish();
    // A closed client has settled everything; a message in flight may still
    // have been handled by the server.
    const error = new ContinuumError('CLIENT_CLOSED', `the client closed (${reason}) before the server acknowledged this message`);
    for (const e of this.outbox.drain()) if (!e.settled) e.reject(error);
    this.channels.closed(`the client closed (${reason})`);
    // No resume after a close: a new connect starts a new session with no gap to report.
    this.sessionId = this.resumeToken = undefined;
    this.recv = this.ackSent = 0;
    this.nextSeq = 1;
  }
}

/** The error a stopping close reports, where it is not REJECTED_BY_SERVER (PROTOCOL.md §16). */
const stopErrors: Partial<Record<number, ErrorCode>> = {
  [CloseCode.PROTOCOL_ERROR]: 'PROTOCOL_ERROR',
  [CloseCode.UNSUPPORTED_DATA]: 'PROTOCOL_ERROR',
  [CloseCode.INVALID_PAYLOAD]: 'PROTOCOL_ERROR',
  [CloseCode.UNSUPPORTED_VERSION]: 'HANDSHAKE_REFUSED',
  [CloseCode.FORBIDDEN]: 'AUTH_FORBIDDEN',
};

/** Errors of a socket that no retry can mend (when not marked retryable): the client stops with them. */
const finalErrors: readonly ErrorCode[] = ['AUTH_EXPIRED', 'PROTOCOL_ERROR', 'HANDSHAKE_REFUSED'];

function fail(why: string): never {
  throw new ProtocolViolation(why);
}

/** Marks a promise handled: an ignored `send()` never produces an unhandled rejection. */
function settled(promise: Promise<void>): Promise<void> {
  promise.catch(noop);
  return promise;
}

function rejected(code: ErrorCode, message: string, retryable?: boolean): Promise<void> {
  return settled(Promise.reject(new ContinuumError(code, message, { retryable })));
}

/** Accepts strings, ArrayBuffers and typed arrays; anything else is a programmer error. */
export function toPayload(data: unknown): Payload {
  if (typeof data === 'string' || data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const what = data === null ? 'null' : typeof data === 'object' ? (data.constructor?.name ?? 'object') : typeof data;
  throw new ContinuumError('INVALID_ARGUMENT', `send() takes a string, ArrayBuffer or typed array, got ${what}`);
}
