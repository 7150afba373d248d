// Channels on the server (PROTOCOL.md §14): the subscriber registry of this node, the
// fan-out of publications (encoded once, the same bytes to every subscriber), the
// `authorize` hook, and the in-memory channel log (offsets, epochs, bounded history).
// A store may bring its own log (`SessionStore.channelLog`, e.g. Redis Streams), which
// also carries publications between nodes.
import { randomBytes } from 'node:crypto';
import {
  CloseCode,
  Limits,
  encodeControl,
  encodePublication,
  isValidChannel,
  utf8Length,
  type ChannelPosition,
  type FrameEntry,
  type Gap,
  type Payload,
  type SubscribeMessage,
  type SubscribedMessage,
} from '@continuum/protocol';
import type { Connection } from './connection.js';
import { AuthError } from './errors.js';
import type { Session } from './session.js';
import type { MaybePromise } from './store.js';

// ---- options -------------------------------------------------------------------------

/** What a client asks to do on a channel. */
export type ChannelAction = 'subscribe' | 'publish';

/**
 * Decides whether `session` may subscribe to or publish on `channel`. Return `true` to
 * allow (or a promise of it); anything else refuses (fail closed). A throw refuses too:
 * an `AuthError`'s message is shown to the client, any other exception is also reported
 * on the server's `error` event. A refused subscribe is answered with
 * `unsubscribed {code: 'AUTH_FORBIDDEN'}`; a refused publish is nacked
 * (`REJECTED_BY_SERVER`). Without `authorize`, every session may do both.
 *
 * @example
 * authorize: (session, channel, action) =>
 *   channel.startsWith(`user:${session.identity.userId}:`) || (action === 'subscribe' && channel.startsWith('public:'))
 */
export type Authorize<Identity> = (
  session: Session<Identity>,
  channel: string,
  action: ChannelAction,
) => boolean | Promise<boolean>;

/** Channel limits. */
export interface ChannelOptions {
  /**
   * Most publications kept per channel for subscribers that resume (`sub.since`); older
   * ones are dropped, and a subscriber that needs them gets a `gap`. 0 keeps none.
   * @default 1000
   */
  historyMaxMessages?: number;
  /**
   * How long a publication is kept for resuming subscribers, ms.
   * @default 300000 (5 min)
   */
  historyMaxAgeMs?: number;
  /**
   * Most channels one session (its socket) may subscribe to; past it a `sub` is refused
   * with `unsubscribed {code: 'REJECTED_BY_SERVER'}`.
   * @default 100
   */
  maxSubscriptionsPerSession?: number;
  /**
   * Bytes a subscriber's socket may hold unsent before the server gives up on it: the
   * socket is destroyed (the session's `close` event says 1013, try again later). Publications are not queued per
   * subscriber anywhere else, so without this bound one slow reader of a busy channel
   * grows the server's memory without limit. The client reconnects and re-subscribes
   * from its last offset: history fills the gap, or the subscription reports it.
   * @default 8388608 (8 MiB)
   */
  maxBufferedBytes?: number;
}

/** The channel defaults, in one place. */
export const CHANNEL_DEFAULTS = {
  historyMaxMessages: 1000,
  historyMaxAgeMs: 300_000,
  maxSubscriptionsPerSession: 100,
  maxBufferedBytes: 8 * 1024 * 1024,
} as const;

const CHANNEL_KEYS = new Set(Object.keys(CHANNEL_DEFAULTS));

/** Validates `options.channels` once, at startup. */
export function resolveChannelOptions(value: unknown): Required<ChannelOptions> {
  if (value !== undefined && (typeof value !== 'object' || value === null)) {
    throw new TypeError('createServer: channels must be an object, e.g. { historyMaxMessages: 1000 }');
  }
  const o = (value ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!CHANNEL_KEYS.has(key)) {
      throw new TypeError(`createServer: unknown option "channels.${key}"; known: ${[...CHANNEL_KEYS].join(', ')}`);
    }
  }
  const int = (key: keyof ChannelOptions, min: number, max: number): number => {
    const v = o[key];
    if (v === undefined) return CHANNEL_DEFAULTS[key];
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      throw new TypeError(`createServer: channels.${key} must be an integer, got ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
    }
    if (v < min || v > max) throw new RangeError(`createServer: channels.${key} must be between ${min} and ${max}, got ${v}`);
    return v;
  };
  return {
    historyMaxMessages: int('historyMaxMessages', 0, 10_000_000),
    historyMaxAgeMs: int('historyMaxAgeMs', 0, 2 ** 31 - 1),
    maxSubscriptionsPerSession: int('maxSubscriptionsPerSession', 1, 1_000_000),
    maxBufferedBytes: int('maxBufferedBytes', 65_536, 2 ** 40),
  };
}

/** Validates the `authorize` option. */
export function checkAuthorize<Identity>(value: unknown): Authorize<Identity> | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError("createServer: authorize must be a function (session, channel, action: 'subscribe' | 'publish') => boolean");
  }
  return value as Authorize<Identity> | undefined;
}

// ---- the channel log -------------------------------------------------------------------

/** One publication as the log hands it to every node. */
export interface Publication {
  channel: string;
  epoch: string;
  offset: number;
  data: Payload;
}

/** A channel's position and what its history holds after a subscriber's `since`. */
export interface ChannelHistory {
  epoch: string;
  /** The last offset of the channel in `epoch` (0 before the first publication). */
  latest: number;
  /** The oldest offset still in history; `latest + 1` when history is empty. */
  first: number;
  /**
   * Publications after `since.offset`, oldest first, when `since` was given and is in
   * `epoch`; otherwise empty.
   */
  publications: { offset: number; data: Payload }[];
}

/** History bounds the server hands to its log. */
export interface HistoryLimits {
  historyMaxMessages: number;
  historyMaxAgeMs: number;
}

/**
 * Where channel offsets, epochs and history live, and how publications reach every
 * node's subscribers. The server creates one per instance: `store.channelLog(limits)`
 * if the store has it, else the in-memory log.
 *
 * Contract: `append` assigns the next offset (contiguous per channel within an epoch) and
 * makes the publication reach the `listen` callback of every node watching the channel
 * (this one included), in offset order per channel. A log that loses history (restart,
 * eviction) must start a new epoch.
 */
export interface ChannelLog {
  /**
   * `origin`: the client message this publication comes from. A store that keeps sessions
   * may mark it handled in the same atomic step, so that a server dying right after the
   * append does not make the client's resend publish it twice.
   */
  append(channel: string, data: Payload, origin?: { sessionId: string; seq: number }): MaybePromise<{ epoch: string; offset: number }>;
  read(channel: string, since: ChannelPosition | undefined): MaybePromise<ChannelHistory>;
  /** Registers the callback for live publications; called once, before anything else. */
  listen(onPublication: (publication: Publication) => void): void;
  /** This node has a subscriber to `channel` now (e.g. Redis `SUBSCRIBE`); resolves once live publications flow. */
  watch?(channel: string): MaybePromise<void>;
  /** This node's last subscriber of `channel` left. */
  unwatch?(channel: string): void;
  close?(): MaybePromise<void>;
}

/** An epoch: 72 random bits, base64url. New for every channel the log (re)creates. */
export function newEpoch(): string {
  return randomBytes(9).toString('base64url');
}

interface MemoryChannel {
  epoch: string;
  latest: number;
  /** Kept publications, oldest first, from index `head`. */
  items: ({ offset: number; data: Payload; at: number } | undefined)[];
  head: number;
  watched: boolean;
  /** Last publish or unwatch, ms: an unwatched channel idle this long with no history is forgotten. */
  touched: number;
}

/**
 * The default log: history in this process. Epochs are random per channel, so a
 * restarted server starts new epochs and resuming subscribers get `gap.to: null`. A
 * channel with no subscriber and no history left is forgotten after
 * `max(historyMaxAgeMs, 60 s)` idle (a later resume of it then reports a gap too).
 */
export function createMemoryChannelLog(limits: HistoryLimits): ChannelLog & { readonly channelCount: number } {
  const channels = new Map<string, MemoryChannel>();
  let onPublication: (p: Publication) => void = () => {};
  const { historyMaxMessages, historyMaxAgeMs } = limits;
  const idleMs = Math.max(historyMaxAgeMs, 60_000);

  const channelOf = (name: string): MemoryChannel => {
    let c = channels.get(name);
    if (!c) {
      c = { epoch: newEpoch(), latest: 0, items: [], head: 0, watched: false, touched: Date.now() };
      channels.set(name, c);
    }
    return c;
  };
  const trim = (c: MemoryChannel, now: number): void => {
    const cutoff = now - historyMaxAgeMs;
    while (c.head < c.items.length && (c.items.length - c.head > historyMaxMessages || c.items[c.head]!.at < cutoff)) {
      c.items[c.head++] = undefined;
    }
    if (c.head === c.items.length) {
      c.items = [];
      c.head = 0;
    } else if (c.head > 1024 && c.head * 2 > c.items.length) {
      c.items = c.items.slice(c.head);
      c.head = 0;
    }
  };
  const sweep = () => {
    const now = Date.now();
    for (const [name, c] of channels) {
      trim(c, now);
      if (!c.watched && c.items.length === 0 && now - c.touched > idleMs) channels.delete(name);
    }
  };
  const timer = setInterval(sweep, Math.min(Math.max(historyMaxAgeMs, 1000), 60_000));
  timer.unref?.();

  return {
    get channelCount() {
      return channels.size;
    },
    listen(callback) {
      onPublication = callback;
    },
    append(channel, data) {
      const c = channelOf(channel);
      const now = Date.now();
      const offset = ++c.latest;
      c.touched = now;
      c.items.push({ offset, data, at: now });
      trim(c, now);
      onPublication({ channel, epoch: c.epoch, offset, data });
      return { epoch: c.epoch, offset };
    },
    read(channel, since) {
      const c = channelOf(channel);
      trim(c, Date.now());
      const first = c.head < c.items.length ? c.items[c.head]!.offset : c.latest + 1;
      const publications: ChannelHistory['publications'] = [];
      if (since && since.epoch === c.epoch) {
        for (let i = Math.max(c.head, c.head + since.offset + 1 - first); i < c.items.length; i++) {
          const item = c.items[i]!;
          publications.push({ offset: item.offset, data: item.data });
        }
      }
      return { epoch: c.epoch, latest: c.latest, first, publications };
    },
    watch(channel) {
      channelOf(channel).watched = true;
    },
    unwatch(channel) {
      const c = channels.get(channel);
      if (!c) return;
      c.watched = false;
      c.touched = Date.now();
    },
    close() {
      clearInterval(timer);
      channels.clear();
    },
  };
}

// ---- the subscriber registry -----------------------------------------------------------

/** What the registry needs from the hub. */
export interface ChannelHub<Identity> {
  readonly options: {
    readonly maxMessageBytes: number;
    readonly authorize: Authorize<Identity> | undefined;
    readonly channels: Required<ChannelOptions>;
  };
  reportError(error: unknown): void;
}

/** One socket's subscription to one channel. */
interface Subscriber {
  readonly connection: Connection;
  readonly channel: string;
  /** `authorizing`: waiting for `authorize`; `joining`: reading history, live publications buffered; `live`. */
  state: 'authorizing' | 'joining' | 'live';
  epoch: string;
  /** Last offset written to this socket. */
  last: number;
  buffer: Publication[] | undefined;
}

/** Largest PUBLICATION frame written when replaying history (the client's default frame limit). */
const REPLAY_FRAME_BYTES = 1024 * 1024;
const REPLAY_FRAME_ENTRIES = 4096;

function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/** Runs `next` now for a plain value, after it settles for a promise. */
function then<T>(value: MaybePromise<T>, next: (v: T) => void, fail: (error: unknown) => void): void {
  if (!isThenable(value)) {
    next(value);
    return;
  }
  value.then(next, fail);
}

function payloadBytes(data: Payload): number {
  return typeof data === 'string' ? utf8Length(data) : data.byteLength;
}

/** Read-only counts, for `server.channels`, health pages and tests. */
export interface ChannelStats {
  /** Channels with at least one subscriber on this server. */
  readonly channels: number;
  /** Subscriptions on this server (one per socket and channel, pending ones included). */
  readonly subscriptions: number;
  /** Subscribers of `channel` on this server. */
  subscribers(channel: string): number;
}

/**
 * The subscribers of this server, by channel and by socket. Subscriptions belong to a
 * socket: a client re-subscribes (with `since`) after every welcome.
 */
export class Channels<Identity> implements ChannelStats {
  private readonly byChannel = new Map<string, Set<Subscriber>>();
  private readonly byConnection = new Map<Connection, Map<string, Subscriber>>();
  private closed = false;

  constructor(
    private readonly hub: ChannelHub<Identity>,
    readonly log: ChannelLog,
  ) {
    log.listen((p) => this.fanOut(p));
  }

  get channels(): number {
    return this.byChannel.size;
  }

  get subscriptions(): number {
    let n = 0;
    for (const subs of this.byConnection.values()) n += subs.size;
    return n;
  }

  subscribers(channel: string): number {
    return this.byChannel.get(channel)?.size ?? 0;
  }

  // ---- publishing ----------------------------------------------------------------------

  /** `server.publish()`: validates, appends, fans out. */
  publish(channel: string, data: Payload): Promise<{ channel: string; offset: number; epoch: string }> {
    if (!isValidChannel(channel)) {
      throw new TypeError(
        `server.publish: invalid channel name ${JSON.stringify(channel)}; use 1–${Limits.maxChannelLength} characters of A-Z a-z 0-9 _ : . @ / = -`,
      );
    }
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError(`server.publish: data must be a string or a Uint8Array, got ${typeof data}`);
    }
    const max = this.hub.options.maxMessageBytes;
    const bytes = payloadBytes(data);
    if (bytes > max) throw new RangeError(`server.publish: message of ${bytes} bytes exceeds maxMessageBytes (${max})`);
    if (this.closed) return Promise.reject(new Error('server.publish: the server is closed'));
    return Promise.resolve(this.log.append(channel, data)).then(({ epoch, offset }) => ({ channel, offset, epoch }));
  }

  /**
   * A client's channel-addressed session message: authorized, then appended. The session
   * acks it when this returns or resolves and nacks it when this throws or rejects.
   */
  publishFromClient(session: Session<Identity>, channel: string, data: Payload, seq: number): MaybePromise<void> {
    const append = (allowed: boolean): MaybePromise<void> => {
      if (!allowed) throw new Error(`not allowed to publish to ${channel}`);
      if (this.closed) throw new Error('the server is shutting down');
      const appended = this.log.append(channel, data, { sessionId: session.id, seq });
      return isThenable(appended) ? appended.then(() => undefined) : undefined;
    };
    const verdict = this.authorize(session, channel, 'publish');
    return isThenable(verdict) ? verdict.then(append) : append(verdict);
  }

  /** Runs `authorize`; `true` allows, anything else refuses. A thrown AuthError's message is kept. */
  private authorize(session: Session<Identity>, channel: string, action: ChannelAction): MaybePromise<boolean> {
    const authorize = this.hub.options.authorize;
    if (!authorize) return true;
    const refused = (error: unknown): never => {
      if (error instanceof AuthError) throw error;
      this.hub.reportError(error);
      throw new Error(`not allowed to ${action === 'publish' ? 'publish to' : 'subscribe to'} ${channel}`);
    };
    let result: boolean | Promise<boolean>;
    try {
      result = authorize(session, channel, action);
    } catch (error) {
      return refused(error);
    }
    return isThenable(result) ? Promise.resolve(result).then((ok) => ok === true, refused) : result === true;
  }

  // ---- subscribing ---------------------------------------------------------------------

  /** A `sub` from an open socket. A second `sub` of the same channel replaces the first (re-subscribe from `since`). */
  subscribe(connection: Connection, message: SubscribeMessage): void {
    const session = connection.session as Session<Identity> | undefined;
    if (!session || this.closed) return;
    const { ch: channel, since } = message;
    let subs = this.byConnection.get(connection);
    const previous = subs?.get(channel);
    const limit = this.hub.options.channels.maxSubscriptionsPerSession;
    if (!previous && subs && subs.size >= limit) {
      this.refuse(connection, channel, 'REJECTED_BY_SERVER', `too many subscriptions (at most ${limit} per session)`);
      return;
    }
    if (previous) this.leave(previous);
    if (!subs) this.byConnection.set(connection, (subs = new Map()));
    const sub: Subscriber = { connection, channel, state: 'authorizing', epoch: '', last: 0, buffer: undefined };
    subs.set(channel, sub);
    const current = () => this.byConnection.get(connection)?.get(channel) === sub;
    let verdict: MaybePromise<boolean>;
    try {
      verdict = this.authorize(session, channel, 'subscribe');
    } catch (error) {
      verdict = Promise.reject(error);
    }
    then(
      verdict,
      (allowed) => {
        if (!current()) return;
        if (!allowed) {
          this.drop(sub);
          this.refuse(connection, channel, 'AUTH_FORBIDDEN', `not allowed to subscribe to ${channel}`);
          return;
        }
        this.join(sub, since, current);
      },
      (error) => {
        if (!current()) return;
        this.drop(sub);
        const message = error instanceof AuthError ? error.message : `not allowed to subscribe to ${channel}`;
        this.refuse(connection, channel, 'AUTH_FORBIDDEN', message);
      },
    );
  }

  /** Authorized: start buffering live publications, read the history, answer, replay, go live. */
  private join(sub: Subscriber, since: ChannelPosition | undefined, current: () => boolean): void {
    const { channel } = sub;
    sub.state = 'joining';
    sub.buffer = [];
    let set = this.byChannel.get(channel);
    const first = !set;
    if (!set) this.byChannel.set(channel, (set = new Set()));
    set.add(sub);
    const failed = (error: unknown) => {
      if (!current()) return;
      this.hub.reportError(error);
      this.drop(sub);
      this.refuse(sub.connection, channel, 'REJECTED_BY_SERVER', 'channel history unavailable');
    };
    const read = () => {
      let history: MaybePromise<ChannelHistory>;
      try {
        history = this.log.read(channel, since);
      } catch (error) {
        failed(error);
        return;
      }
      then(history, (h) => current() && this.answer(sub, since, h), failed);
    };
    let watching: MaybePromise<void> = undefined;
    if (first) {
      try {
        watching = this.log.watch?.(channel);
      } catch (error) {
        failed(error);
        return;
      }
    }
    then(watching, read, failed);
  }

  private answer(sub: Subscriber, since: ChannelPosition | undefined, h: ChannelHistory): void {
    const { connection, channel } = sub;
    let offset = h.latest;
    let recovered = false;
    let gap: Gap | undefined;
    let replay: ChannelHistory['publications'] = [];
    if (since) {
      const sameEpoch = since.epoch === h.epoch && since.offset <= h.latest;
      if (sameEpoch && since.offset + 1 >= h.first) {
        recovered = true;
        offset = since.offset;
        replay = h.publications.filter((p) => p.offset > since.offset);
      } else if (sameEpoch) {
        // History was trimmed: what is left is not contiguous with `since`, so none of it is sent.
        gap = { from: since.offset + 1, to: h.latest };
      } else {
        gap = { from: since.offset + 1, to: null };
      }
    }
    const answer: SubscribedMessage = { t: 'subscribed', ch: channel, offset, epoch: h.epoch, recovered, ...(gap && { gap }), latest: h.latest };
    connection.write(encodeControl(answer));
    sub.epoch = h.epoch;
    sub.last = offset;
    // Replay in frames of contiguous offsets.
    for (let i = 0; i < replay.length; ) {
      const start = i;
      const entries: FrameEntry[] = [];
      let bytes = 0;
      while (i < replay.length && entries.length < REPLAY_FRAME_ENTRIES && (entries.length === 0 || bytes < REPLAY_FRAME_BYTES)) {
        if (i > start && replay[i].offset !== replay[i - 1].offset + 1) break;
        entries.push({ data: replay[i].data });
        bytes += payloadBytes(replay[i].data) + 5;
        i++;
      }
      connection.write(encodePublication(channel, h.epoch, replay[start].offset, entries));
      sub.last = replay[i - 1].offset;
    }
    const buffered = sub.buffer!;
    sub.buffer = undefined;
    sub.state = 'live';
    for (const p of buffered) this.deliver(sub, p, undefined);
  }

  /** An `unsub`: always answered, subscribed or not. */
  unsubscribe(connection: Connection, channel: string): void {
    const sub = this.byConnection.get(connection)?.get(channel);
    if (sub) this.drop(sub);
    connection.write(encodeControl({ t: 'unsubscribed', ch: channel }));
  }

  /** The socket closed: its subscriptions go with it. */
  connectionClosed(connection: Connection): void {
    const subs = this.byConnection.get(connection);
    if (!subs) return;
    this.byConnection.delete(connection);
    for (const sub of subs.values()) this.leave(sub);
  }

  private refuse(connection: Connection, channel: string, code: string, message: string): void {
    connection.write(encodeControl({ t: 'unsubscribed', ch: channel, code, message }));
  }

  /** Forgets a subscription entirely. */
  private drop(sub: Subscriber): void {
    const subs = this.byConnection.get(sub.connection);
    if (subs?.get(sub.channel) === sub) {
      subs.delete(sub.channel);
      if (subs.size === 0) this.byConnection.delete(sub.connection);
    }
    this.leave(sub);
  }

  /** Removes a subscription from its channel's fan-out set. */
  private leave(sub: Subscriber): void {
    const set = this.byChannel.get(sub.channel);
    if (!set?.delete(sub)) return;
    if (set.size > 0) return;
    this.byChannel.delete(sub.channel);
    try {
      this.log.unwatch?.(sub.channel);
    } catch (error) {
      this.hub.reportError(error);
    }
  }

  // ---- fan-out ---------------------------------------------------------------------------

  /** A publication from the log: encoded once, the same bytes written to every subscriber. */
  private fanOut(p: Publication): void {
    const set = this.byChannel.get(p.channel);
    if (!set) return;
    let frame: Uint8Array | undefined;
    for (const sub of set) {
      if (sub.state === 'joining') sub.buffer!.push(p);
      else if (sub.state === 'live') frame = this.deliver(sub, p, frame);
    }
  }

  /** Writes one publication unless this socket already has it; returns the (lazily) encoded frame. */
  private deliver(sub: Subscriber, p: Publication, frame: Uint8Array | undefined): Uint8Array | undefined {
    // Already replayed from history. A publication of another epoch is written: the client
    // sees the epoch change and re-subscribes, which reports the gap.
    if (p.epoch === sub.epoch && p.offset <= sub.last) return frame;
    frame ??= encodePublication(p.channel, p.epoch, p.offset, [{ data: p.data }]);
    const connection = sub.connection;
    if (connection.bufferedAmount > this.hub.options.channels.maxBufferedBytes) {
      // Destroyed, not closed: a close frame would queue behind the megabytes this reader
      // is not reading. The session's 'close' event carries the code and reason.
      connection.terminate(CloseCode.TRY_AGAIN_LATER, 'slow subscriber: publications piled up unsent');
      return frame;
    }
    connection.write(frame);
    sub.epoch = p.epoch;
    sub.last = p.offset;
    return frame;
  }

  /** Stops the log (timers, Redis subscriptions). Sockets are closed by the hub. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const connection of [...this.byConnection.keys()]) this.connectionClosed(connection);
    await this.log.close?.();
  }
}
