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
  private _state: SubscriptionState = 'subscribing';
  /** Last delivered position; the next `sub` asks for what follows it. */
  private position: ChannelPosition | undefined;

  /** @internal */
  constructor(
    readonly channel: string,
    private readonly registry: ChannelRegistry,
    since: ChannelPosition | undefined,
  ) {
    super();
    this.position = since;
  }

  /** `'subscribing'`, `'subscribed'` or `'unsubscribed'`. */
  get state(): SubscriptionState {
    return this._state;
  }

  /** The last delivered position (offset + epoch); save it to resume later with `since`. */
  get since(): ChannelPosition | undefined {
    return this.position && { ...this.position };
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
    if (this._state === 'unsubscribed') return;
    this.registry.remove(this, true);
    this.end({ reason: 'unsubscribe()' });
  }

  // ---- driven by the registry -------------------------------------------------------

  /** @internal The `sub` message for the current socket. */
  subMessage(): ClientControl {
    this._state = 'subscribing';
    return this.position ? { t: 'sub', ch: this.channel, since: { ...this.position } } : { t: 'sub', ch: this.channel };
  }

  /** @internal */
  onSubscribed(m: SubscribedMessage): void {
    // The server names the gap whenever it could not recover from our `since`.
    if (m.gap && this.position) this.emit('gap', m.gap);
    this.position = { offset: m.offset, epoch: m.epoch };
    this._state = 'subscribed';
    this.emit('subscribed', { recovered: m.recovered, offset: m.offset, epoch: m.epoch });
  }

  /**
   * @internal Publications at `firstOffset`… of `epoch`. Returns false when a skip or an
   * epoch change means publications are missing: the registry re-subscribes from the
   * last delivered position, which recovers them or reports the gap.
   */
  onPublication(epoch: string, firstOffset: number, entries: readonly FrameEntry[]): boolean {
    if (this._state !== 'subscribed') return true; // from before a re-subscribe on this socket
    const position = this.position!;
    if (epoch !== position.epoch) return false;
    for (let i = 0; i < entries.length; i++) {
      const offset = firstOffset + i;
      if (offset <= position.offset) continue; // a duplicate: replay and live overlapped
      if (offset !== position.offset + 1) return false;
      position.offset = offset;
      this.deliver(entries[i].data, offset, epoch);
      if (this._state !== 'subscribed') return true; // a listener unsubscribed
    }
    return true;
  }

  private deliver(data: Payload, offset: number, epoch: string): void {
    let value: unknown;
    try {
      value = this.registry.host.decode(data);
    } catch (cause) {
      this.emit('error', new ContinuumError('DECODE_FAILED', `publication ${offset} on ${this.channel} could not be decoded: ${String(cause)}`, { cause, data }));
      return;
    }
    this.emit('publication', value as TReceive, { offset, epoch });
  }

  /** @internal */
  end(event: UnsubscribedEvent): void {
    if (this._state === 'unsubscribed') return;
    this._state = 'unsubscribed';
    if (event.code) this.emit('error', new ContinuumError(event.code, `subscription to ${this.channel} ended: ${event.reason}`));
    this.emit('unsubscribed', event);
  }
}

/**
 * The client's subscriptions by channel, and the per-socket bookkeeping that keeps the
 * answers of a cancelled subscription from reaching a newer one of the same channel.
 */
export class ChannelRegistry {
  private readonly subs = new Map<string, Subscription<any, any>>();
  /**
   * Per channel: `unsub` messages sent on this socket whose `unsubscribed` has not come
   * back. Until it does, whatever arrives for the channel belongs to the old subscription.
   */
  private readonly unsubsInFlight = new Map<string, number>();

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
    if (!isValidChannel(channel)) {
      throw new ContinuumError(
        'INVALID_ARGUMENT',
        `invalid channel name ${JSON.stringify(channel)}: use 1–${Limits.maxChannelLength} characters of A-Z a-z 0-9 _ : . @ / = -`,
      );
    }
    if (typeof options !== 'object' || options === null) throw new ContinuumError('INVALID_ARGUMENT', 'subscribe options must be an object');
    const existing = this.subs.get(channel);
    if (existing) return existing;
    const since = options.since;
    if (since !== undefined) {
      const ok =
        typeof since === 'object' && since !== null &&
        Number.isSafeInteger(since.offset) && since.offset >= 0 &&
        typeof since.epoch === 'string' && since.epoch.length <= Limits.maxIdLength;
      if (!ok) throw new ContinuumError('INVALID_ARGUMENT', 'since must be { offset: integer ≥ 0, epoch: string } (from sub.since or a publication)');
    }
    const sub = new Subscription<TSend, TReceive>(channel, this, since && { offset: since.offset, epoch: since.epoch });
    this.subs.set(channel, sub);
    if (this.host.ready) this.host.sendControl(sub.subMessage());
    return sub;
  }

  /** @internal */
  remove(sub: Subscription<any, any>, sendUnsub: boolean): void {
    if (this.subs.get(sub.channel) !== sub) return;
    this.subs.delete(sub.channel);
    if (sendUnsub && this.host.ready) {
      this.unsubsInFlight.set(sub.channel, (this.unsubsInFlight.get(sub.channel) ?? 0) + 1);
      this.host.sendControl({ t: 'unsub', ch: sub.channel });
    }
  }

  /** A welcome arrived: the new socket has no subscriptions; ask for every one again. */
  connected(): void {
    this.unsubsInFlight.clear();
    for (const sub of this.subs.values()) this.host.sendControl(sub.subMessage());
  }

  /** The socket went away; its subscriptions with it (they are renewed after the next welcome). */
  disconnected(): void {
    this.unsubsInFlight.clear();
  }

  /** The client closed for good: every subscription ends and the registry empties. */
  closed(reason: string): void {
    this.unsubsInFlight.clear();
    const all = [...this.subs.values()];
    this.subs.clear();
    for (const sub of all) sub.end({ reason });
  }

  /** True while something for `channel` on this socket belongs to a cancelled subscription. */
  private stale(channel: string): boolean {
    return (this.unsubsInFlight.get(channel) ?? 0) > 0;
  }

  onSubscribed(m: SubscribedMessage): void {
    if (this.stale(m.ch)) return;
    this.subs.get(m.ch)?.onSubscribed(m);
  }

  onUnsubscribed(m: UnsubscribedMessage): void {
    const pending = this.unsubsInFlight.get(m.ch) ?? 0;
    if (pending > 0) {
      // The answer to our own unsub.
      if (pending === 1) this.unsubsInFlight.delete(m.ch);
      else this.unsubsInFlight.set(m.ch, pending - 1);
      return;
    }
    const sub = this.subs.get(m.ch);
    if (!sub) return;
    this.subs.delete(m.ch);
    // The server's code (AUTH_FORBIDDEN, REJECTED_BY_SERVER) is one of the protocol's.
    const code = m.code as ErrorCode | undefined;
    sub.end({ ...(code && { code }), reason: m.message || (code ? `refused by the server (${m.code})` : 'ended by the server') });
  }

  onPublication(channel: string, epoch: string, firstOffset: number, entries: readonly FrameEntry[]): void {
    if (this.stale(channel)) return;
    const sub = this.subs.get(channel);
    if (!sub) return; // not subscribed (any more): dropped
    if (!sub.onPublication(epoch, firstOffset, entries) && this.host.ready && this.subs.get(channel) === sub) {
      // Missing publications: ask again from the last delivered position.
      this.host.sendControl(sub.subMessage());
    }
  }
}
