// Channels on the client: one `Subscription` per channel name, and the registry that
// re-subscribes after every welcome and keeps each channel's position (offset + epoch),
// so publications are delivered exactly once, in order, across reconnects
// (PROTOCOL.md §14). The client wires this in; nothing here touches a socket directly.
import {
  ContinuumError,
  Limits,
  isValidChannel,
  type ChannelPosition,
  type ClientControl,
  type ErrorCode,
  type FrameEntry,
  type Gap,
  type Payload,
  type SubscribedMessage,
  type UnsubscribedMessage,
} from '@continuum/protocol';
import { Emitter } from './emitter.js';
import { checkObject, invalid } from './options.js';

/** Options of `client.subscribe()`. */
export interface SubscribeOptions {
  /**
   * Resume after this position (e.g. one saved from an earlier run): publications after
   * `since.offset` in `since.epoch` are replayed if the server's history still reaches
   * back, else `gap` is emitted. Ignored when the channel is already subscribed.
   */
  since?: ChannelPosition;
}

/** Where a subscription is: waiting for the server's `subscribed`, live, or over. */
export type SubscriptionState = 'subscribing' | 'subscribed' | 'unsubscribed';

export interface PublicationMeta {
  /** The publication's offset in its channel (contiguous within an epoch). */
  offset: number;
  /** The epoch that offset belongs to. */
  epoch: string;
}

export interface SubscribedEvent {
  /** True when every publication after the requested `since` will be delivered. */
  recovered: boolean;
  /** Publications after this offset follow. */
  offset: number;
  epoch: string;
  /** How many of them are history sent again (missed while away, or asked for with `since`); later ones are live. Absent when the server does not say (an older server). */
  replayed?: number;
}

export interface UnsubscribedEvent {
  /** Set when the server refused or ended the subscription (e.g. `AUTH_FORBIDDEN`). */
  code?: ErrorCode;
  reason: string;
}

export type SubscriptionEvents<TReceive = string | Uint8Array> = {
  /** One publication, in offset order, exactly once. */
  publication: (data: TReceive, meta: PublicationMeta) => void;
  /** The server confirmed the subscription (after every reconnect too). */
  subscribed: (event: SubscribedEvent) => void;
  /** Continuity lost: publications `from`–`to` (`to: null`: unknown, the epoch changed) will never arrive. Resync from your source of truth. */
  gap: (gap: Gap) => void;
  /** The server refused the subscription, or a publication could not be decoded. */
  error: (error: ContinuumError) => void;
  /** The subscription is over: `unsubscribe()`, `client.close()`, or the server ended/refused it. */
  unsubscribed: (event: UnsubscribedEvent) => void;
};

/** What the channel layer needs from the client. */
export interface ChannelHost {
  /** Whether a socket is past its welcome. */
  readonly ready: boolean;
  /** Sends a control message on the current socket (only called while ready). */
  sendControl(message: ClientControl): void;
  /** Queues a channel-addressed session message; settles on the server's ack or nack. */
  publish(channel: string, data: unknown): Promise<void>;
  /** Decodes a publication payload with the client's codec; throws on failure. */
  decode(data: Payload): unknown;
}

/**
 * A subscription to one channel. Survives reconnects: after each welcome the client
 * re-subscribes from the last delivered position and the server replays what was
 * missed. Get one with `client.subscribe(channel)`.
 *
 * @example
 * const sub = client.subscribe('room:42');
 * sub.on('publication', (data, { offset }) => render(data));
 * sub.on('gap', () => reloadRoom());
 * await sub.publish('hi');
 * sub.unsubscribe();
 */
export class Subscription<TSend = unknown, TReceive = string | Uint8Array> extends Emitter<SubscriptionEvents<TReceive>> {
  private current: SubscriptionState = 'subscribing';

  /** `'subscribing'`, `'subscribed'` or `'unsubscribed'`. */
  get state(): SubscriptionState {
    return this.current;
  }

  /** @internal */
  constructor(
    readonly channel: string,
    private readonly registry: ChannelRegistry,
    /** Last delivered position; the next `sub` asks for what follows it. */
    private pos: ChannelPosition | undefined,
  ) {
    super();
  }

  /** The last delivered position (offset + epoch); save it to resume later with `since`. */
  get since(): ChannelPosition | undefined {
    return this.pos && { ...this.pos };
  }

  /**
   * Publishes to this channel. A session message like `client.send()`: queued while
   * offline, sent again after a reconnect, handled exactly once; resolves when the server
   * appended it (it has its offset), rejects `REJECTED_BY_SERVER` if the server's
   * `authorize` refused it. A subscriber receives its own publications.
   */
  publish(data: TSend): Promise<void> {
    return this.registry.host.publish(this.channel, data);
  }

  /** Ends the subscription; the client forgets it. Safe to call more than once. */
  unsubscribe(): void {
    this.registry.unsubscribe(this);
    this.end({ reason: 'unsubscribe()' });
  }

  // ---- driven by the registry -------------------------------------------------------

  /** @internal The `sub` message for the current socket. */
  subMessage(): ClientControl {
    this.current = 'subscribing';
    return { t: 'sub', ch: this.channel, since: this.since };
  }

  /** @internal Sends `sub` now if a socket is ready (else the next welcome does). */
  resubscribe(): void {
    const host = this.registry.host;
    if (host.ready) host.sendControl(this.subMessage());
  }

  /** @internal */
  onSubscribed(m: SubscribedMessage): void {
    // The server names the gap whenever it could not recover from our `since`.
    const { gap, recovered, offset, epoch, latest } = m;
    if (gap && this.pos) this.emit('gap', gap);
    this.pos = { offset, epoch };
    this.current = 'subscribed';
    this.emit('subscribed', { recovered, offset, epoch, ...(latest !== undefined && { replayed: Math.max(0, latest - offset) }) });
  }

  /**
   * @internal Publications at `offset`… of `epoch`. Ignored unless subscribed (they are
   * from before a re-subscribe on this socket); duplicates (replay and live overlapped)
   * are dropped. A skip or an epoch change means publications are missing: re-subscribe
   * from the last delivered position, which recovers them or reports the gap.
   */
  onPublication(epoch: string, offset: number, entries: readonly FrameEntry[]): void {
    const pos = this.pos!;
    const otherEpoch = epoch != pos?.epoch; // compared once per frame, not per entry
    for (let i = 0; i < entries.length && this.current == 'subscribed'; i++, offset++) {
      if (otherEpoch || offset > pos.offset + 1) return this.resubscribe();
      if (offset <= pos.offset) continue;
      pos.offset = offset;
      const data = entries[i].data;
      let value: unknown;
      try {
        value = this.registry.host.decode(data);
      } catch (cause) {
        this.emit('error', new ContinuumError('DECODE_FAILED', `publication ${offset} on ${this.channel} could not be decoded: ${String(cause)}`, { cause, data }));
        continue;
      }
      this.emit('publication', value as TReceive, { offset, epoch });
    }
  }

  /** @internal */
  end(event: UnsubscribedEvent): void {
    if (this.current == 'unsubscribed') return;
    this.current = 'unsubscribed';
    if (event.code) this.emit('error', new ContinuumError(event.code, `subscription to ${this.channel} ended: ${event.reason}`));
    this.emit('unsubscribed', event);
  }
}

/**
 * The client's subscriptions by channel, and the per-socket bookkeeping that keeps the
 * answers of a cancelled subscription from reaching a newer one of the same channel.
 */
export class ChannelRegistry {
  private subs = new Map<string, Subscription<any, any>>();
  /**
   * Per channel: `unsub` messages sent on this socket whose `unsubscribed` has not come
   * back (no entry: none). Until it does, whatever arrives for the channel belongs to
   * the old subscription.
   */
  private readonly unsubs = new Map<string, number>();

  /** @internal */
  constructor(readonly host: ChannelHost) {}

  /** Number of live subscriptions (the registry shrinks on unsubscribe and close). */
  get size(): number {
    return this.subs.size;
  }

  get(channel: string): Subscription<any, any> | undefined {
    return this.subs.get(channel);
  }

  subscribe<TSend, TReceive>(channel: string, options: SubscribeOptions = {}): Subscription<TSend, TReceive> {
    checkChannel(channel);
    checkObject('subscribe options', options);
    let sub = this.subs.get(channel);
    if (sub) return sub;
    const since = options.since;
    if (since !== undefined && !(Number.isSafeInteger(since?.offset) && since.offset >= 0 && typeof since.epoch == 'string' && since.epoch.length <= Limits.maxIdLength))
      invalid('since', '{ offset: integer >= 0, epoch: string }', since);
    this.subs.set(channel, (sub = new Subscription<TSend, TReceive>(channel, this, since && { offset: since.offset, epoch: since.epoch })));
    sub.resubscribe();
    return sub;
  }

  /** @internal */
  unsubscribe(sub: Subscription<any, any>): void {
    const ch = sub.channel;
    if (this.subs.get(ch) != sub) return;
    this.subs.delete(ch);
    if (this.host.ready) {
      this.unsubs.set(ch, (this.unsubs.get(ch) ?? 0) + 1);
      this.host.sendControl({ t: 'unsub', ch });
    }
  }

  /** A welcome arrived: the new socket has no subscriptions; ask for every one again. */
  connected(): void {
    this.unsubs.clear();
    for (const sub of this.subs.values()) this.host.sendControl(sub.subMessage());
  }

  /** The socket went away; its subscriptions with it (they are renewed after the next welcome). */
  disconnected(): void {
    this.unsubs.clear();
  }

  /** The client closed for good: every subscription ends and the registry empties. */
  closed(reason: string): void {
    const subs = this.subs;
    this.subs = new Map();
    this.unsubs.clear();
    for (const sub of subs.values()) sub.end({ reason });
  }

  onSubscribed(m: SubscribedMessage): void {
    if (!this.unsubs.has(m.ch)) this.subs.get(m.ch)?.onSubscribed(m);
  }

  onUnsubscribed({ ch, code, message }: UnsubscribedMessage): void {
    const pending = this.unsubs.get(ch);
    // The answer to our own unsub.
    if (pending) pending > 1 ? this.unsubs.set(ch, pending - 1) : this.unsubs.delete(ch);
    else {
      const sub = this.subs.get(ch);
      this.subs.delete(ch);
      // The server's code (AUTH_FORBIDDEN, REJECTED_BY_SERVER) is one of the protocol's.
      sub?.end({ ...(code && { code: code as ErrorCode }), reason: message || (code ? 'refused' : 'ended') + ' by the server' });
    }
  }

  onPublication(channel: string, epoch: string, firstOffset: number, entries: readonly FrameEntry[]): void {
    // Nothing for a channel not subscribed (any more), or still answering a cancelled subscription.
    if (!this.unsubs.has(channel)) this.subs.get(channel)?.onPublication(epoch, firstOffset, entries);
  }
}

/** Throws INVALID_ARGUMENT unless `channel` is a channel name the protocol accepts. */
export function checkChannel(channel: unknown): void {
  if (!isValidChannel(channel))
    throw new ContinuumError('INVALID_ARGUMENT', `invalid channel name ${JSON.stringify(channel)}: must be 1–${Limits.maxChannelLength} chars of A-Z a-z 0-9 _:.@/=-`);
}
