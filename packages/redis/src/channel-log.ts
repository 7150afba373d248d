// Channel offsets, epochs and history in Redis Streams, and live fan-out between nodes
// over Redis pub/sub. Implements the server's ChannelLog.
import { decodeUtf8, type ChannelPosition, type Payload } from '@continuum/protocol';
import { newEpoch, type ChannelHistory, type ChannelLog, type HistoryLimits, type Publication } from '@continuum/server';
import type { Redis } from 'ioredis';
import { TTL, type Keys } from './keys.js';

/** The custom commands (defineCommand) the log uses; see scripts.ts. */
export interface ChannelCommands {
  continuumAppend(...args: (string | Buffer | number)[]): Promise<[string, number]>;
  continuumReadBuffer(...args: (string | Buffer | number)[]): Promise<(Buffer | number)[]>;
}

export function toBuffer(data: Payload): Buffer | string {
  return typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function payloadOf(flag: Buffer | string | number, data: Buffer): Payload {
  const binary = String(flag) === '1';
  // Copy binary payloads: ioredis may hand out slices of a larger reply buffer.
  return binary ? new Uint8Array(data) : decodeUtf8(data);
}

export interface RedisChannelLogOptions {
  /** The store's command connection. */
  redis: Redis & ChannelCommands;
  keys: Keys;
  limits: HistoryLimits;
  onError(error: unknown): void;
}

/**
 * One per server. Appends go through one Lua script (INCR + XADD MAXLEN + PUBLISH), so
 * offsets are contiguous across nodes and every node sees a channel's publications in
 * offset order. Subscribing nodes listen on a dedicated pub/sub connection.
 */
export function createRedisChannelLog(options: RedisChannelLogOptions): ChannelLog {
  const { redis, keys, limits, onError } = options;
  const subscriber = redis.duplicate();
  subscriber.on('error', onError);
  let onPublication: (p: Publication) => void = () => {};
  const watched = new Set<string>();
  /** Per watched channel, the last position this node has seen (publications or a read). */
  const lastSeen = new Map<string, ChannelPosition>();
  let closed = false;
  let connectedOnce = false;

  const emit = (p: Publication) => {
    const seen = lastSeen.get(p.channel);
    if (!seen || seen.epoch !== p.epoch || p.offset > seen.offset) lastSeen.set(p.channel, { epoch: p.epoch, offset: p.offset });
    try {
      onPublication(p);
    } catch (error) {
      onError(error);
    }
  };

  subscriber.on('messageBuffer', (channelBuf: Buffer, message: Buffer) => {
    const pubsub = channelBuf.toString('utf8');
    if (!pubsub.startsWith(keys.pubSubPrefix)) return;
    const channel = pubsub.slice(keys.pubSubPrefix.length);
    if (!watched.has(channel)) return;
    // "<epoch> <offset> <flag> <data>"
    const a = message.indexOf(32);
    const b = message.indexOf(32, a + 1);
    const c = message.indexOf(32, b + 1);
    if (a < 0 || b < 0 || c < 0) return;
    const epoch = message.toString('utf8', 0, a);
    const offset = Number(message.toString('utf8', a + 1, b));
    const flag = message.toString('utf8', b + 1, c);
    emit({ channel, epoch, offset, data: payloadOf(flag, message.subarray(c + 1)) });
  });

  // Publications made while the pub/sub connection was down never arrive. After it is back
  // (and ioredis re-subscribed), hand on what the history holds past what this node saw;
  // the registry drops what a subscriber already has, and a client that finds a hole or a
  // new epoch re-subscribes and learns the gap. Without this, the last publications before
  // a quiet period (or the first after a Redis restart) would reach nobody.
  subscriber.on('ready', () => {
    if (!connectedOnce) {
      connectedOnce = true;
      return;
    }
    void catchUp();
  });
  const catchUp = async () => {
    try {
      await subscriber.ping(); // after the re-SUBSCRIBEs: nothing published from now on is missed
      for (const channel of [...watched]) {
        const seen = lastSeen.get(channel);
        let h = await log.read(channel, seen);
        if (h.publications.length === 0 && h.latest > (seen && seen.epoch === h.epoch ? seen.offset : 0)) {
          // A new epoch, or history trimmed past what this node saw: hand on what is left.
          h = await log.read(channel, { epoch: h.epoch, offset: h.first - 1 });
        }
        if (!watched.has(channel)) continue;
        for (const p of h.publications) emit({ channel, epoch: h.epoch, offset: p.offset, data: p.data });
      }
    } catch (error) {
      onError(error);
    }
  };

  // While this node has subscribers, keep the channel's keys alive: a quiet channel
  // must not lose its epoch under a live subscription.
  const refresh = setInterval(() => {
    if (watched.size === 0) return;
    const pipeline = redis.pipeline();
    for (const channel of watched) {
      for (const key of [keys.channelOffset(channel), keys.channelEpoch(channel), keys.channelLog(channel)]) {
        pipeline.pexpire(key, TTL.channelIdleMs);
      }
    }
    pipeline.exec().catch(onError);
  }, TTL.channelIdleMs / 4);
  refresh.unref?.();

  const log: ChannelLog = {
    listen(callback) {
      onPublication = callback;
    },

    async append(channel, data, origin) {
      const [epoch, offset] = await redis.continuumAppend(
        keys.channelOffset(channel),
        keys.channelEpoch(channel),
        keys.channelLog(channel),
        origin ? keys.session(origin.sessionId) : keys.channelLog(channel),
        newEpoch(),
        limits.historyMaxMessages,
        limits.historyMaxAgeMs,
        TTL.channelIdleMs,
        typeof data === 'string' ? '0' : '1',
        toBuffer(data),
        keys.channelPubSub(channel),
        origin ? String(origin.seq) : '',
      );
      return { epoch: String(epoch), offset: Number(offset) };
    },

    async read(channel, since: ChannelPosition | undefined): Promise<ChannelHistory> {
      const reply = await redis.continuumReadBuffer(
        keys.channelOffset(channel),
        keys.channelEpoch(channel),
        keys.channelLog(channel),
        newEpoch(),
        since ? since.epoch : '',
        since ? since.offset : 0,
        limits.historyMaxAgeMs,
        TTL.channelIdleMs,
      );
      const publications: ChannelHistory['publications'] = [];
      for (let i = 3; i + 2 < reply.length; i += 3) {
        publications.push({ offset: Number(reply[i]), data: payloadOf(reply[i + 1] as Buffer, reply[i + 2] as Buffer) });
      }
      const history = { epoch: String(reply[0]), latest: Number(reply[1]), first: Number(reply[2]), publications };
      if (watched.has(channel) && !lastSeen.has(channel)) lastSeen.set(channel, { epoch: history.epoch, offset: history.latest });
      return history;
    },

    async watch(channel) {
      watched.add(channel);
      await subscriber.subscribe(keys.channelPubSub(channel));
    },

    unwatch(channel) {
      watched.delete(channel);
      lastSeen.delete(channel);
      if (!closed) subscriber.unsubscribe(keys.channelPubSub(channel)).catch(onError);
    },

    async close() {
      closed = true;
      clearInterval(refresh);
      watched.clear();
      subscriber.disconnect();
    },
  };
  return log;
}
