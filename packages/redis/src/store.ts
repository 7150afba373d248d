// `createRedisStore`: the server's SessionStore on Redis. Sessions are written through
// (`sync`), so any node sharing the Redis resumes any session with nothing lost;
// tombstones live there too; channels use Redis Streams and pub/sub (channel-log.ts).
import { randomBytes } from 'node:crypto';
import { utf8Length, type Payload } from '@continuum/protocol';
import type { ChannelLog, HistoryLimits, ReplayMessage, RetainedNack, SessionRecord, SessionStore, Tombstone } from '@continuum/server';
import { Redis, type RedisOptions } from 'ioredis';
import { createRedisChannelLog, payloadOf, toBuffer, type ChannelCommands } from './channel-log.js';
import { DEFAULT_PREFIX, TTL, keysFor } from './keys.js';
import { APPEND, DELETE_SESSION, READ, SYNC_SESSION } from './scripts.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` (or `rediss://` for TLS). @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** An existing ioredis connection to use instead of `url` (the store duplicates it for pub/sub; you close it). */
  redis?: Redis;
  /** Extra ioredis options with `url`. */
  redisOptions?: RedisOptions;
  /** Namespace of every key and pub/sub channel. @default 'continuum:' */
  prefix?: string;
  /**
   * Where connection errors go (Redis down, restarting). ioredis reconnects by itself;
   * the server retries its writes and delivers nothing that is not durable meanwhile.
   * @default ignored (the server reports failed operations on its own `error` event)
   */
  onError?: (error: Error) => void;
}

/** A {@link SessionStore} on Redis; also the channel log of every server using it. */
export interface RedisStore extends SessionStore {
  /** The command connection. */
  readonly redis: Redis;
  /** This process' id in session ownership (`owner`): a session another node took over is never written from here again. */
  readonly nodeId: string;
  channelLog(limits: HistoryLimits): ChannelLog;
  sync(record: SessionRecord, fromSeq: number): Promise<void>;
  /** Closes the connections (the server does not: the store is yours). */
  close(): Promise<void>;
}

type Commands = ChannelCommands & {
  continuumSync(...args: (string | Buffer | number)[]): Promise<number>;
  continuumDelete(...args: (string | Buffer | number)[]): Promise<number>;
};

function bufferToString(value: Buffer | undefined): string | undefined {
  return value === undefined ? undefined : value.toString('utf8');
}

/**
 * A session store on Redis, for several Continuum servers behind a load balancer with no
 * sticky sessions: sessions (replay buffers, counters, resume tokens) and tombstones are
 * shared, channel history and offsets are in Redis Streams, and publications reach every
 * node over pub/sub.
 *
 * @example
 * const store = createRedisStore({ url: process.env.REDIS_URL });
 * const server = await createServer({ port: 8080, store });
 * // on shutdown
 * await server.close();
 * await store.close();
 */
export function createRedisStore(options: RedisStoreOptions = {}): RedisStore {
  if (typeof options !== 'object' || options === null) throw new TypeError('createRedisStore: options must be an object, e.g. { url }');
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string') throw new TypeError('createRedisStore: prefix must be a string');
  const onError = (error: unknown) => options.onError?.(error instanceof Error ? error : new Error(String(error)));
  const owned = options.redis === undefined;
  const base: Redis =
    options.redis ??
    new Redis(options.url ?? 'redis://127.0.0.1:6379', {
      // Commands wait through a reconnect instead of failing after a few retries.
      maxRetriesPerRequest: null,
      ...options.redisOptions,
    });
  if (owned) base.on('error', onError);
  const redis = base as Redis & Commands;
  redis.defineCommand('continuumAppend', { numberOfKeys: 4, lua: APPEND });
  redis.defineCommand('continuumRead', { numberOfKeys: 3, lua: READ });
  redis.defineCommand('continuumSync', { numberOfKeys: 2, lua: SYNC_SESSION });
  redis.defineCommand('continuumDelete', { numberOfKeys: 2, lua: DELETE_SESSION });
  const keys = keysFor(prefix);
  const nodeId = randomBytes(9).toString('base64url');
  /** Records this node has written (created or claimed). */
  const written = new WeakSet<SessionRecord>();
  const logs = new Set<ChannelLog>();

  const ttlOf = (record: SessionRecord): number =>
    record.expiresAt === 0 ? TTL.sessionConnectedMs : Math.max(1, record.expiresAt - Date.now()) + TTL.sessionGraceMs;

  const write = (record: SessionRecord, fromSeq: number): Promise<unknown> => {
    // The first write of a record from this node claims the session (a new one, or one
    // adopted from another node); later writes are refused once another node claimed it.
    const mode = written.has(record) ? 'write' : 'claim';
    written.add(record);
    const firstKept = record.sent - record.replay.length + 1;
    const start = Math.max(fromSeq, firstKept);
    const args: (string | Buffer | number)[] = [
      keys.session(record.id),
      keys.sessionOut(record.id),
      nodeId,
      mode,
      record.token,
      record.identityKey,
      record.sent,
      record.received,
      record.handled,
      record.peerAck,
      record.expiresAt,
      JSON.stringify(record.nacks),
      firstKept,
      ttlOf(record),
      start,
    ];
    for (let i = start - firstKept; i < record.replay.length; i++) {
      const data = record.replay[i].data;
      args.push(typeof data === 'string' ? '0' : '1', toBuffer(data));
    }
    // Issued now (not after an await): commands of one node reach Redis in call order.
    return redis.continuumSync(...args).catch((error: unknown) => {
      if (error instanceof Error && error.message.startsWith('FENCED')) {
        throw Object.assign(new Error(`session ${record.id}: ${error.message.slice(7)}; this server stops writing it`), { retryable: false, cause: error });
      }
      if (mode === 'claim') written.delete(record);
      throw error;
    });
  };

  const store: RedisStore = {
    redis: base,
    nodeId,

    async getSession(id) {
      const result = await redis
        .multi()
        .hgetallBuffer(keys.session(id))
        .xrangeBuffer(keys.sessionOut(id), '-', '+')
        .exec();
      if (!result) return undefined;
      const [[hashError, hash], [rangeError, range]] = result as [[Error | null, Record<string, Buffer>], [Error | null, [Buffer, Buffer[]][]]];
      if (hashError) throw hashError;
      if (rangeError) throw rangeError;
      if (!hash || !hash.token) return undefined;
      const num = (field: string) => Number(bufferToString(hash[field]) ?? 0);
      const sent = num('sent');
      // The stream holds sent - n + 1 … sent; keep the contiguous tail ending at `sent`.
      const entries: { seq: number; message: ReplayMessage }[] = [];
      for (const [idBuf, fields] of range) {
        const seq = Number(idBuf.toString('utf8').split('-')[0]);
        if (seq > sent) break;
        let flag: Buffer | undefined;
        let data: Buffer | undefined;
        for (let i = 0; i + 1 < fields.length; i += 2) {
          const name = fields[i].toString('utf8');
          if (name === 'b') flag = fields[i + 1];
          else if (name === 'd') data = fields[i + 1];
        }
        const payload: Payload = payloadOf(flag ?? '0', data ?? Buffer.alloc(0));
        const bytes = typeof payload === 'string' ? utf8Length(payload) : payload.byteLength;
        if (entries.length > 0 && entries[entries.length - 1].seq !== seq - 1) entries.length = 0;
        entries.push({ seq, message: { data: payload, bytes } });
      }
      const replay = entries.length > 0 && entries[entries.length - 1].seq === sent ? entries.map((e) => e.message) : [];
      let nacks: RetainedNack[] = [];
      try {
        nacks = JSON.parse(bufferToString(hash.nacks) ?? '[]') as RetainedNack[];
      } catch {
        nacks = [];
      }
      const record: SessionRecord = {
        id,
        token: hash.token.toString('utf8'),
        identityKey: bufferToString(hash.identityKey) ?? 'null',
        sent,
        received: num('received'),
        handled: num('handled'),
        peerAck: num('peerAck'),
        replay,
        replayBytes: replay.reduce((n, m) => n + m.bytes, 0),
        nacks,
        expiresAt: num('expiresAt'),
      };
      return record;
    },

    async setSession(record) {
      await write(record, 1);
    },

    async sync(record, fromSeq) {
      await write(record, fromSeq);
    },

    async deleteSession(id) {
      await redis.continuumDelete(keys.session(id), keys.sessionOut(id), nodeId, Date.now());
    },

    async getTombstone(id) {
      const text = await redis.get(keys.tombstone(id));
      if (!text) return undefined;
      const tombstone = JSON.parse(text) as Tombstone;
      return tombstone.expiresAt > Date.now() ? tombstone : undefined;
    },

    async setTombstone(tombstone) {
      if (tombstone.expiresAt <= Date.now()) return;
      await redis.set(keys.tombstone(tombstone.id), JSON.stringify(tombstone), 'PXAT', tombstone.expiresAt);
    },

    channelLog(limits) {
      const log = createRedisChannelLog({ redis, keys, limits, onError });
      const close = log.close!.bind(log);
      logs.add(log);
      log.close = async () => {
        logs.delete(log);
        await close();
      };
      return log;
    },

    async close() {
      for (const log of [...logs]) await log.close?.();
      if (!owned) return;
      try {
        await base.quit();
      } catch {
        base.disconnect();
      }
    },
  };
  return store;
}
