import {
  CloseCode,
  FrameKind,
  Limits,
  encodeAck,
  encodeControl,
  encodeData,
  encodeVolatile,
  utf8Length,
  type DataFrame,
  type FrameEntry,
  type Payload,
} from '@continuum/protocol';
import { Emitter } from './emitter.js';
import { Journal } from './journal.js';
import type { Metrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import type { MaybePromise, ReplayMessage, SessionRecord, SessionStore, Tombstone } from './store.js';

/** An ack goes out once this many client messages are handled and unacknowledged… */
export const ACK_EVERY_MESSAGES = 64;
/** …or this long after the first of them was handled, ms, unless a DATA frame carried it first. */
export const ACK_DELAY_MS = 25;
/** Largest frame sent to a client, bytes: the client SDK's default frame limit. */
export const PEER_MAX_FRAME_BYTES = 1024 * 1024;
/** Most messages in one frame. */
export const MAX_ENTRIES_PER_FRAME = 4096;
/** Above this many bytes queued in the socket, stop writing and wait for it to drain. */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** A backpressured session writes again once its socket holds no more than this. */
const LOW_WATER_BYTES = HIGH_WATER_BYTES / 2;
/** Most nacks kept per session while waiting for proof that the client saw them. */
const MAX_RETAINED_NACKS = 1000;
/** Header varint (≤ 4 bytes below 16 MiB) of an entry, over-estimated. */
const ENTRY_OVERHEAD_BYTES = 5;
/** Kind byte, ack and firstSeq varints of a DATA frame, over-estimated. */
const FRAME_OVERHEAD_BYTES = 20;

/** Where a session is: with a socket, waiting for its client to resume, or over. */
export type SessionState = 'connected' | 'disconnected' | 'ended';

/**
 * Why a session ended:
 * - `'closed'`: the app called `session.close()`.
 * - `'left'`: the client's app closed the client (`client.close()`): it will not resume, so
 *   the session ends once the messages already received are handled, not after `ttlMs`.
 * - `'expired'`: no socket resumed it within `session.ttlMs`.
 * - `'lost'`: its client came back but the replay buffer no longer reached back to what the
 *   client missed; the client continues in a new session and is told the exact gap.
 * - `'shutdown'`: `server.close()`. The session is saved to the store, so a server sharing
 *   the store can resume it.
 */
export type SessionEndReason = 'closed' | 'left' | 'expired' | 'lost' | 'shutdown';

/** The second argument of a 'message' listener. */
export interface MessageMeta {
  /** The client's sequence number of this message; 0 for a volatile message. */
  seq: number;
  /** True for a volatile message: outside the sequence, never acknowledged or replayed. */
  volatile?: boolean;
}

/** Options of `session.send()`. */
export interface SendOptions {
  /**
   * Send only if a socket is attached and not backpressured; no sequence number, never
   * replayed. For data that is stale by the time a resume could deliver it (cursors,
   * progress). `send()` returns false when there is no socket.
   * @default false
   */
  volatile?: boolean;
}

/** Events of a {@link Session}. */
export interface SessionEvents {
  /**
   * A client message, in the client's order, one at a time per session. Return a promise
   * to hold the acknowledgement until it resolves; a rejection (or a throw) sends the
   * client a nack with code `REJECTED_BY_SERVER` and the error's message, then the ack.
   */
  message: (data: Payload, meta: MessageMeta) => unknown;
  /** The socket went away; the session waits `session.ttlMs` for its client to resume it. */
  close: (event: { code: number; reason: string }) => void;
  /** The session is over; it will emit nothing more. */
  end: (event: { reason: SessionEndReason }) => void;
}

/** What a session needs from its socket; implemented by the connection. */
export interface Link {
  write(data: string | Uint8Array): void;
  readonly bufferedAmount: number;
  /** Closes the socket; the session is detached before this returns. */
  close(code: number, reason: string): void;
  /** Calls back once the socket's queue falls to `lowWater` (or the socket goes). */
  whenDrained(callback: () => void, lowWater: number): void;
}

/** What a session needs from the server that holds it. */
export interface SessionHost {
  readonly options: ResolvedOptions<any>;
  readonly metrics: Metrics;
  /** Where sessions live; with `store.sync`, a session writes through before it shows anything. */
  readonly store: SessionStore;
  /** Whether a message of another session (its idempotency key) was already handled. */
  wasHandled(originId: string, originSeq: number, identityKey: string): MaybePromise<boolean>;
  /** The session is over: forget it, write its tombstone (or save it, on shutdown). */
  sessionEnded(session: Session<any>, tombstone: Tombstone, reason: SessionEndReason): void;
  /** Checkpoint: the session's socket went away. */
  sessionDetached(session: Session<any>): void;
  reportError(error: unknown): void;
  /** A client's channel-addressed message: authorize and append it; a throw or rejection nacks it. */
  publish(session: Session<any>, channel: string, data: Payload, seq: number): MaybePromise<void>;
}

interface InboxItem {
  seq: number;
  entry: FrameEntry;
  originId?: string;
  originSeq?: number;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function payloadBytes(data: Payload): number {
  return typeof data === 'string' ? utf8Length(data) : data.byteLength;
}

/**
 * One client's session: survives its sockets, numbers what the app sends, keeps it until
 * the client acknowledges it, and hands the client's messages to the app exactly once,
 * in order. Created by the server; the app gets it from the server's 'session' event.
 */
export class Session<Identity = unknown> extends Emitter<SessionEvents> {
  /** Session id (128 random bits, base64url), stable across resumes. */
  readonly id: string;
  /** @internal The resumable state; the in-memory store holds this very object. */
  readonly record: SessionRecord;

  private _identity: Identity;
  private _state: SessionState = 'disconnected';
  private readonly host: SessionHost;
  private link: Link | undefined;
  /** Next server seq to write on the current socket. */
  private nextWrite = 1;
  /** Seqs up to this were written before the current socket: writing them again is a replay. */
  private replayUntil = 0;
  /** The ack value the client has last been told on the current socket. */
  private ackSent = 0;
  private ackDue = false;
  private flushQueued = false;
  /** The client said `bye`; the session ends when its inbox is empty. */
  private leaving = false;
  private volatileQueue: ReplayMessage[] | undefined;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** Created at the first backpressure: idle sessions hold no closure for it. */
  private onDrained: (() => void) | undefined = undefined;
  /** The socket this session waits on to drain (backpressure), if any. */
  private drainingLink: Link | undefined = undefined;
  private ttlTimer: ReturnType<typeof setTimeout> | undefined;
  private inbox: (InboxItem | undefined)[] = [];
  private inboxHead = 0;
  private busy = false;
  /** Seq of the message a handler is working on, 0 when none. */
  private inFlight = 0;
  /** Write-through to a store with `sync`: bounds what the socket may see (see journal.ts). */
  private readonly journal: Journal | undefined;

  /** @internal */
  constructor(host: SessionHost, record: SessionRecord, identity: Identity) {
    super();
    this.host = host;
    this.id = record.id;
    this.record = record;
    this._identity = identity;
    const sync = host.store.sync;
    if (sync) {
      const owner = {
        journalAdvanced: () => this.journalAdvanced(),
        // Another server took the session over: let the client reconnect (to it, behind a load balancer).
        journalRefused: () => this.link?.close(CloseCode.SERVICE_RESTART, 'session moved to another server; retry=100-1000'),
        reportError: (error: unknown) => host.reportError(error),
      };
      this.journal = new Journal(owner, record, (r, from) => sync.call(host.store, r, from));
    }
  }

  /** Last server seq the socket may carry: all of them, or only the durable ones. */
  private visibleSent(): number {
    return this.journal ? Math.min(this.journal.sent, this.record.sent) : this.record.sent;
  }

  /** Highest client seq an ack may cover: handled, and durable with a write-through store. */
  private ackable(): number {
    return this.journal ? Math.min(this.journal.handled, this.record.handled) : this.record.handled;
  }

  /** The journal made more durable: write and acknowledge it. */
  private journalAdvanced(): void {
    this.scheduleAck();
    this.scheduleFlush();
  }

  /** What `authenticate` returned for this session's sockets (`null` without `authenticate`). */
  get identity(): Identity {
    return this._identity;
  }

  /** `'connected'`, `'disconnected'` (waiting for a resume) or `'ended'`. */
  get state(): SessionState {
    return this._state;
  }

  /**
   * Messages sent to the client and not yet acknowledged by it (the replay buffer).
   * A producer that keeps this below `session.replayMaxMessages` never forces a gap.
   */
  get pendingMessages(): number {
    return this.record.replay.length;
  }

  /** Whether a socket is attached right now. */
  get connected(): boolean {
    return this._state === 'connected';
  }

  /**
   * Sends a message to the client. It gets the next sequence number, is kept until the
   * client acknowledges it and is replayed after a resume; calls in one event-loop turn
   * go out together as one frame. While no socket is attached the message waits in the
   * replay buffer (bounded by `session.replayMaxMessages` / `replayMaxBytes`).
   *
   * Binary data is kept by reference until acknowledged: do not modify it after sending.
   *
   * @returns true if accepted; false once the session has ended (or, for a volatile
   * message, when no socket is attached).
   * @throws TypeError if `data` is neither a string nor a Uint8Array.
   * @throws RangeError if it is larger than `maxMessageBytes`.
   */
  send(data: Payload, options?: SendOptions): boolean {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError(`session.send: data must be a string or a Uint8Array, got ${typeof data}`);
    }
    const bytes = payloadBytes(data);
    const { maxMessageBytes, session: limits } = this.host.options;
    if (bytes > maxMessageBytes) {
      throw new RangeError(`session.send: message of ${bytes} bytes exceeds maxMessageBytes (${maxMessageBytes})`);
    }
    if (options?.volatile) {
      if (!this.link) return false;
      (this.volatileQueue ??= []).push({ data, bytes });
      this.host.metrics.messagesOut++;
      this.scheduleFlush();
      return true;
    }
    if (this._state === 'ended') return false;
    const r = this.record;
    r.sent++;
    r.replay.push({ data, bytes });
    r.replayBytes += bytes;
    this.host.metrics.messagesOut++;
    if (r.replay.length > limits.replayMaxMessages || r.replayBytes > limits.replayMaxBytes) this.trimReplay();
    this.journal?.changed();
    this.scheduleFlush();
    return true;
  }

  /**
   * Ends the session for good: closes its socket with `code`, remembers the session as a
   * tombstone (so its client learns the exact gap and its re-sent messages are
   * deduplicated) and emits 'end'. With 1000 or 4400–4999 the client stops; with
   * 4000–4399 it reconnects into a new session.
   * @param code 1000 or 3000–4999. @default 1000
   * @param reason At most 123 bytes of UTF-8; longer is cut. @default ''
   */
  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (code !== CloseCode.NORMAL && !(Number.isInteger(code) && code >= 3000 && code <= 4999)) {
      throw new RangeError(`session.close: code must be 1000 or 3000–4999, got ${String(code)}`);
    }
    if (typeof reason !== 'string') throw new TypeError('session.close: reason must be a string');
    this.end('closed', code, reason);
  }

  /** @internal The client said `bye`: end once what it sent before is handled. */
  leave(): void {
    if (this._state === 'ended') return;
    this.leaving = true;
    if (!this.busy) this.pump();
  }

  // ---- socket lifecycle (called by the server) -------------------------------------

  /**
   * @internal Attaches a socket whose client has delivered every message up to `recv`.
   * The caller checked `canReplayFrom(recv + 1)` and `recv <= record.sent`.
   */
  attach(link: Link, recv: number, identity: Identity): void {
    if (this.ttlTimer !== undefined) {
      clearTimeout(this.ttlTimer);
      this.ttlTimer = undefined;
    }
    this._identity = identity;
    this.link = link;
    this._state = 'connected';
    this.record.expiresAt = 0;
    this.applyPeerAck(recv);
    this.nextWrite = recv + 1;
    this.replayUntil = this.record.sent;
    this.ackSent = this.welcomeAck();
  }

  /**
   * @internal The ack to announce in the welcome. Lower than `handled` while nacks are
   * retained, so that each nack reaches the client before the ack that covers its seq.
   */
  welcomeAck(): number {
    const { nacks } = this.record;
    const handled = this.ackable();
    return nacks.length > 0 ? Math.min(handled, nacks[0].seq - 1) : handled;
  }

  /** @internal The welcome went out: re-send retained nacks, then replay and ack. */
  opened(): void {
    const link = this.link;
    if (!link) return;
    const nacks = this.record.nacks;
    for (const { seq, code, message } of nacks) link.write(encodeControl({ t: 'nack', seq, code, message }));
    if (nacks.length > 0) this.ackDue = true;
    // With a write-through store, the first write of an adopted session claims it.
    this.journal?.changed();
    this.scheduleAck();
    this.scheduleFlush();
  }

  /** @internal Closes the attached socket, if any, before another one takes over. */
  replaceLink(code: number, reason: string): void {
    this.link?.close(code, reason);
  }

  /** @internal Whether every message from `seq` on is still in the replay buffer. */
  canReplayFrom(seq: number): boolean {
    const r = this.record;
    return seq > r.sent || r.sent - r.replay.length + 1 <= seq;
  }

  /** @internal The socket went away (closed by either side, replaced or reaped). */
  detach(link: Link, code: number, reason: string): void {
    if (this.link !== link) return;
    this.dropLink();
    if (this._state === 'ended') return;
    this._state = 'disconnected';
    const ttlMs = this.host.options.session.ttlMs;
    this.record.expiresAt = Date.now() + ttlMs;
    this.ttlTimer = setTimeout(expireSession, ttlMs, this);
    this.host.sessionDetached(this);
    this.emit('close', { code, reason });
  }

  /** @internal Ends the session; returns its tombstone. */
  end(reason: SessionEndReason, code: number = CloseCode.NORMAL, closeReason = ''): Tombstone {
    const r = this.record;
    // A message a handler is working on counts as handled: it was handed to the app, and a
    // RESEND of it must not be handed over a second time.
    const ack = Math.max(r.handled, this.inFlight);
    const tombstone: Tombstone = {
      id: this.id,
      token: r.token,
      identityKey: r.identityKey,
      sent: r.sent,
      ack,
      expiresAt: Date.now() + this.host.options.session.dedupWindowMs,
    };
    if (this._state === 'ended') return tombstone;
    this.journal?.stop();
    // What the app sent in this turn goes out before the close frame (a close
    // right after send() must not swallow the message).
    if (this.link && this.flushQueued) this.flush();
    const link = this.link;
    this._state = 'ended';
    this.dropLink();
    if (this.ttlTimer !== undefined) clearTimeout(this.ttlTimer);
    this.ttlTimer = undefined;
    this.inbox = [];
    this.inboxHead = 0;
    if (reason === 'shutdown') {
      // Saved for a server that shares the store: messages received but not handled are
      // forgotten, so the client sends them again there.
      r.handled = ack;
      r.received = ack;
      r.expiresAt = Date.now() + this.host.options.session.ttlMs;
    }
    if (link) link.close(code, closeReason);
    this.host.sessionEnded(this, tombstone, reason);
    if (link) this.emit('close', { code, reason: closeReason });
    this.emit('end', { reason });
    return tombstone;
  }

  /** @internal Highest client seq handed to the app (handled or being handled). */
  get handledOrInFlight(): number {
    return Math.max(this.record.handled, this.inFlight);
  }

  private dropLink(): void {
    this.link = undefined;
    this.volatileQueue = undefined;
    this.ackDue = false;
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.drainingLink = undefined;
  }

  // ---- receiving ------------------------------------------------------------------

  /** @internal A decoded frame from the attached socket. */
  receive(frame: DataFrame): void {
    const link = this.link;
    if (!link) return;
    switch (frame.kind) {
      case FrameKind.ACK:
        this.peerAck(frame.ack);
        return;
      case FrameKind.DATA: {
        if (!this.peerAck(frame.ack)) return;
        const { entries, firstSeq } = frame;
        for (let i = 0; i < entries.length; i++) {
          if (!this.accept(firstSeq + i, entries[i], undefined, 0) || this.link !== link) break;
        }
        // Messages accepted before a bad one were received (welcome.recv says so): handle them.
        this.pump();
        return;
      }
      case FrameKind.RESEND:
        if (!this.peerAck(frame.ack)) return;
        if (this.accept(frame.seq, frame.entry, frame.originId, frame.originSeq)) this.pump();
        return;
      case FrameKind.VOLATILE:
        for (const entry of frame.entries) {
          if (!this.fitsLimit(entry) || this.link !== link) return;
          if (entry.channel === undefined) this.deliverVolatile(entry.data);
        }
        return;
      default:
        link.close(CloseCode.CONTINUUM_PROTOCOL_ERROR, 'publication frames go from server to client only');
    }
  }

  /**
   * Volatile messages bypass the queue (nothing waits for them, nothing acks them); a
   * handler that throws or rejects on one is reported on the server's 'error' event.
   */
  private deliverVolatile(data: Payload): void {
    const report = (error: unknown) => this.host.reportError(error);
    for (const listener of this.listenersOf('message')) {
      try {
        const result = listener(data, { seq: 0, volatile: true });
        if (isThenable(result)) result.then(undefined, report);
      } catch (error) {
        report(error);
      }
    }
  }

  private fitsLimit(entry: FrameEntry): boolean {
    const max = this.host.options.maxMessageBytes;
    const data = entry.data;
    // Skip counting UTF-8 when even 3 bytes per UTF-16 unit fit.
    if (typeof data === 'string' ? data.length * 3 <= max || utf8Length(data) <= max : data.byteLength <= max) {
      return true;
    }
    this.link?.close(CloseCode.MESSAGE_TOO_BIG, `message larger than maxMessageBytes (${max})`);
    return false;
  }

  /** A client ack: drop what it covers from the replay buffer. False if it closed the socket. */
  private peerAck(ack: number): boolean {
    if (ack <= this.record.peerAck) return true;
    if (ack > this.record.sent) {
      this.link?.close(CloseCode.CONTINUUM_PROTOCOL_ERROR, `ack ${ack} beyond the last message sent`);
      return false;
    }
    this.applyPeerAck(ack);
    return true;
  }

  private applyPeerAck(ack: number): void {
    const r = this.record;
    if (ack <= r.peerAck) return;
    const first = r.sent - r.replay.length + 1;
    const drop = Math.min(ack - first + 1, r.replay.length);
    if (drop > 0) {
      let bytes = 0;
      for (let i = 0; i < drop; i++) bytes += r.replay[i].bytes;
      r.replay.splice(0, drop);
      r.replayBytes -= bytes;
    }
    r.peerAck = ack;
    // A nack written before message `fence + 1` was read by a client that acked it.
    if (r.nacks.length > 0) r.nacks = r.nacks.filter((n) => n.fence >= ack);
    if (this.nextWrite <= ack) this.nextWrite = ack + 1;
    this.journal?.changed();
  }

  /** One sequenced client message. False if the frame must not be processed further. */
  private accept(seq: number, entry: FrameEntry, originId: string | undefined, originSeq: number): boolean {
    const r = this.record;
    if (seq <= r.received) return true; // a duplicate from a retransmission
    if (seq > r.received + 1) {
      this.link?.close(
        CloseCode.CONTINUUM_PROTOCOL_ERROR,
        `sequence skipped: expected ${r.received + 1}, got ${seq}`,
      );
      return false;
    }
    if (!this.fitsLimit(entry)) return false;
    r.received = seq;
    this.host.metrics.messagesIn++;
    this.inbox.push(originId === undefined ? { seq, entry } : { seq, entry, originId, originSeq });
    return true;
  }

  /** Runs handlers one message at a time; synchronous handlers run in one loop. */
  private pump(): void {
    if (this.busy) return;
    this.busy = true;
    while (this.inboxHead < this.inbox.length && this._state !== 'ended') {
      const item = this.inbox[this.inboxHead]!;
      this.inbox[this.inboxHead++] = undefined;
      this.inFlight = item.seq;
      const pending = this.handle(item);
      if (pending) {
        void pending.then(() => {
          this.busy = false;
          this.pump();
        });
        return;
      }
    }
    if (this.inboxHead >= this.inbox.length) {
      this.inbox = [];
      this.inboxHead = 0;
    }
    this.busy = false;
    if (this.leaving && this._state !== 'ended') this.end('left', CloseCode.NORMAL, 'client closed');
  }

  /** Handles one message; returns a promise if that takes longer than this turn. Never rejects. */
  private handle(item: InboxItem): Promise<void> | undefined {
    if (item.originId === undefined) return this.deliver(item);
    let known: MaybePromise<boolean>;
    try {
      known = this.host.wasHandled(item.originId, item.originSeq!, this.record.identityKey);
    } catch (error) {
      this.host.reportError(error);
      known = false;
    }
    if (!isThenable(known)) {
      if (!known) return this.deliver(item);
      this.settle(item.seq);
      return undefined;
    }
    return Promise.resolve(known).then(
      (handled) => {
        if (!handled) return this.deliver(item);
        this.settle(item.seq);
      },
      (error: unknown) => {
        // Without the tombstone we cannot tell; delivering risks a duplicate, dropping
        // risks a loss. The handler sees it: at-least-once beats silent loss.
        this.host.reportError(error);
        return this.deliver(item);
      },
    );
  }

  private deliver(item: InboxItem): Promise<void> | undefined {
    const { seq, entry } = item;
    if (entry.channel !== undefined) {
      // A publish: acked once appended (it has its offset), nacked if refused.
      let published: MaybePromise<void>;
      try {
        published = this.host.publish(this, entry.channel, entry.data, seq);
      } catch (error) {
        this.reject(seq, error);
        this.settle(seq);
        return undefined;
      }
      if (!isThenable(published)) {
        this.settle(seq);
        return undefined;
      }
      return Promise.resolve(published).then(
        () => this.settle(seq),
        (error: unknown) => {
          this.reject(seq, error);
          this.settle(seq);
        },
      );
    }
    const meta: MessageMeta = { seq };
    let pending: PromiseLike<unknown>[] | undefined;
    let thrown: { error: unknown } | undefined;
    for (const listener of this.listenersOf('message')) {
      try {
        const result = listener(entry.data, meta);
        if (isThenable(result)) (pending ??= []).push(result);
      } catch (error) {
        thrown ??= { error };
      }
    }
    if (!pending) {
      if (thrown) this.reject(seq, thrown.error);
      this.settle(seq);
      return undefined;
    }
    return Promise.allSettled(pending).then((results) => {
      const failure = thrown ?? results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failure) this.reject(seq, 'error' in failure ? failure.error : failure.reason);
      this.settle(seq);
    });
  }

  private settle(seq: number): void {
    this.inFlight = 0;
    if (this._state === 'ended') return;
    this.record.handled = seq;
    this.journal?.changed();
    this.scheduleAck();
  }

  private reject(seq: number, error: unknown): void {
    if (this._state === 'ended') return;
    const text = error instanceof Error ? error.message : String(error);
    const message = text.length > 1024 ? text.slice(0, 1024) : text;
    const r = this.record;
    const nack = { seq, code: 'REJECTED_BY_SERVER', message, fence: r.sent };
    r.nacks.push(nack);
    if (r.nacks.length > MAX_RETAINED_NACKS) r.nacks.shift();
    this.link?.write(encodeControl({ t: 'nack', seq, code: nack.code, message }));
  }

  // ---- sending --------------------------------------------------------------------

  private scheduleAck(): void {
    if (!this.link) return;
    const unacked = this.ackable() - this.ackSent;
    if (unacked <= 0) return;
    if (unacked >= ACK_EVERY_MESSAGES || this.ackDue) {
      this.ackDue = true;
      this.scheduleFlush();
    } else if (this.ackTimer === undefined && !this.flushQueued) {
      // With a flush queued (the handler answered), the ack rides in that frame, or the
      // flush arms this timer if it could not write: no timer per echoed message.
      this.ackTimer = setTimeout(ackTimeout, ACK_DELAY_MS, this);
    }
  }

  /** @internal */
  ackTimedOut(): void {
    this.ackTimer = undefined;
    this.ackDue = true;
    this.flush();
  }

  /** @internal The socket waited on has room again. */
  drained(): void {
    if (this.drainingLink === undefined || this.drainingLink !== this.link) return;
    this.drainingLink = undefined;
    this.flush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued || !this.link) return;
    this.flushQueued = true;
    // End of this turn, never a timer: every send() of the turn shares one frame.
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    const link = this.link;
    if (!link) return;
    const r = this.record;
    const visible = this.visibleSent();
    const ack = this.ackable();
    // While waiting for the socket to drain, only acks (and dropped volatiles) move.
    while (this.drainingLink === undefined && this.nextWrite <= visible) {
      if (link.bufferedAmount > HIGH_WATER_BYTES) {
        this.drainingLink = link;
        link.whenDrained((this.onDrained ??= () => this.drained()), LOW_WATER_BYTES);
        break;
      }
      const first = r.sent - r.replay.length + 1;
      const start = this.nextWrite - first;
      const entries = r.replay.slice(start, Math.min(frameEnd(r.replay, start), visible - first + 1));
      link.write(encodeData(ack, this.nextWrite, entries));
      if (this.nextWrite <= this.replayUntil) {
        this.host.metrics.replayedMessages += Math.min(this.replayUntil + 1, this.nextWrite + entries.length) - this.nextWrite;
      }
      this.nextWrite += entries.length;
      this.ackSent = ack;
      if (this.link !== link) return;
    }
    const volatile = this.volatileQueue;
    if (volatile) {
      this.volatileQueue = undefined;
      // Volatile data is the first thing to give up under backpressure.
      if (this.drainingLink === undefined) {
        for (let start = 0; start < volatile.length; ) {
          const end = frameEnd(volatile, start);
          link.write(encodeVolatile(volatile.slice(start, end)));
          start = end;
        }
      }
    }
    if (this.ackDue && ack > this.ackSent) {
      // Acks are tiny and free the client's outbox: they go out even under backpressure.
      link.write(encodeAck(ack));
      this.ackSent = ack;
    }
    this.ackDue = false;
    if (this.ackTimer !== undefined && this.ackSent >= ack) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
    } else if (this.ackTimer === undefined && this.ackSent < ack && this.link === link) {
      this.ackTimer = setTimeout(ackTimeout, ACK_DELAY_MS, this);
    }
  }

  /** Drops the oldest messages past the replay bounds (never the newest one). */
  private trimReplay(): void {
    const r = this.record;
    const { replayMaxMessages, replayMaxBytes } = this.host.options.session;
    let drop = 0;
    let bytes = 0;
    while (
      r.replay.length - drop > 1 &&
      (r.replay.length - drop > replayMaxMessages || r.replayBytes - bytes > replayMaxBytes)
    ) {
      bytes += r.replay[drop].bytes;
      drop++;
    }
    if (drop === 0) return;
    r.replay.splice(0, drop);
    r.replayBytes -= bytes;
    if (this.link && this.nextWrite < r.sent - r.replay.length + 1) {
      // Messages this client has not even been sent are gone: continuity is broken. The
      // client reconnects, the resume fails, and it learns the exact gap.
      this.link.close(CloseCode.TRY_AGAIN_LATER, 'replay buffer overflow: the client fell too far behind');
    }
  }
}

/**
 * Where the frame starting at `messages[start]` ends: at most MAX_ENTRIES_PER_FRAME
 * messages and the protocol's batch target (well under PEER_MAX_FRAME_BYTES), but always
 * at least one message.
 */
function frameEnd(messages: readonly ReplayMessage[], start: number): number {
  const limit = Math.min(messages.length, start + MAX_ENTRIES_PER_FRAME);
  let end = start;
  let size = FRAME_OVERHEAD_BYTES;
  while (end < limit) {
    size += messages[end].bytes + ENTRY_OVERHEAD_BYTES;
    if (end > start && size > Limits.batchTargetBytes) break;
    end++;
  }
  return end;
}

// Timer callbacks without a closure per session: idle sessions should cost little memory.
function ackTimeout(session: Session): void {
  session.ackTimedOut();
}
function expireSession(session: Session): void {
  session.end('expired');
}
