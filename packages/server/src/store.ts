import type { Payload } from '@continuum/protocol';
import type { ChannelLog, HistoryLimits } from './channels.js';

/** A value or a promise of it: the in-memory store answers synchronously, a Redis store cannot. */
export type MaybePromise<T> = T | Promise<T>;

/** A server→client message kept until the client acknowledges it. */
export interface ReplayMessage {
  data: Payload;
  /** Payload size in bytes (UTF-8 for text), counted against `replayMaxBytes`. */
  bytes: number;
}

/**
 * Everything needed to resume a session, on this server or (with a shared store) another.
 *
 * The live session mutates its record in place; the server calls `setSession` when the
 * session is created, when its socket goes away and when the server shuts down. The
 * in-memory store keeps the very object, so those calls cost nothing.
 */
export interface SessionRecord {
  readonly id: string;
  /** The resume secret (192 bits, base64url). */
  readonly token: string;
  /** `JSON.stringify` of the identity `authenticate` returned: a resume must present the same. */
  readonly identityKey: string;
  /** Highest server sequence number assigned (the last message `send()` accepted). */
  sent: number;
  /** Highest contiguous client sequence number received. */
  received: number;
  /** Highest client sequence number handled (acknowledged). */
  handled: number;
  /** Highest server sequence number the client acknowledged. */
  peerAck: number;
  /**
   * Unacknowledged server messages, oldest first; the last one has seq `sent`, so the
   * first has seq `sent - replay.length + 1`.
   */
  replay: ReplayMessage[];
  /** Sum of `replay[i].bytes`. */
  replayBytes: number;
  /**
   * Nacks not yet known to have reached the client: `fence` is `sent` when the nack was
   * written; a client ack above it proves the client read the nack (same ordered socket).
   */
  nacks: RetainedNack[];
  /** When the session expires (ms since the epoch) if no socket resumes it; 0 while a socket is attached. */
  expiresAt: number;
}

/** A nack kept until the client provably received it, re-sent after a resume. */
export interface RetainedNack {
  seq: number;
  code: string;
  message: string;
  fence: number;
}

/**
 * What remains of an ended session: enough to tell a client exactly what it lost
 * (`welcome.gap`, `welcome.previous`) and to drop RESEND frames of messages that were
 * already handled (the idempotency key is `(id, client seq)`).
 */
export interface Tombstone {
  readonly id: string;
  readonly token: string;
  readonly identityKey: string;
  /** Last server sequence number of the session. */
  readonly sent: number;
  /** Last client sequence number the session handled. */
  readonly ack: number;
  /** Forget it after this time (ms since the epoch): `endedAt + dedupWindowMs`. */
  readonly expiresAt: number;
}

/**
 * Where sessions and tombstones live. Every method may answer synchronously or with a
 * promise. A store must not return a tombstone after its `expiresAt`; it may return a
 * session record after its `expiresAt` (the server checks and turns it into a tombstone).
 *
 * Writes are not awaited on the hot path: a failed write is reported on the server's
 * `error` event. (A store that must make acks durable needs write-through; see README.)
 */
export interface SessionStore {
  getSession(id: string): MaybePromise<SessionRecord | undefined>;
  setSession(record: SessionRecord): MaybePromise<void>;
  deleteSession(id: string): MaybePromise<void>;
  getTombstone(id: string): MaybePromise<Tombstone | undefined>;
  setTombstone(tombstone: Tombstone): MaybePromise<void>;
  /** Called by `server.close()` for a store the server created itself. */
  close?(): MaybePromise<void>;
  /**
   * Channel offsets, history and cross-node fan-out (e.g. Redis Streams + pub/sub). Each
   * server calls it once at startup with its history limits and closes the log on
   * `server.close()`. Without it, channels live in the server's memory.
   */
  channelLog?(limits: HistoryLimits): ChannelLog;
  /**
   * Write-through (optional; e.g. Redis). Makes durable the session's counters and its
   * server→client messages from seq `fromSeq` on (those still in `record.replay`; the
   * store skips seqs it already has and drops those below the first kept one). With it,
   * the server writes a message to the socket only after a sync covering it resolved, and
   * acknowledges a client message only after its `handled` was synced, so a server that
   * dies loses nothing its clients have seen or been told, and another server sharing the
   * store resumes the session. Read the record synchronously: it changes after the call.
   * At most one call per session is in flight; a rejection is reported and retried.
   */
  sync?(record: SessionRecord, fromSeq: number): Promise<void>;
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most tombstones kept; past it the oldest are forgotten first (a client resuming such a
   * session then gets `gap.to: null`, and its RESEND frames are delivered, not deduplicated).
   * About 200 bytes each.
   * @default 100000
   */
  maxTombstones?: number;
}

/**
 * The default store: two Maps in this process. Sessions survive a `server.close()` and a
 * new server given the same store resumes them; nothing survives the process.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): SessionStore {
  const maxTombstones = options.maxTombstones ?? 100_000;
  if (!Number.isSafeInteger(maxTombstones) || maxTombstones < 0) {
    throw new RangeError(`maxTombstones must be a non-negative integer, got ${String(maxTombstones)}`);
  }
  const sessions = new Map<string, SessionRecord>();
  // Insertion order is expiry order (every tombstone lives dedupWindowMs), so trimming
  // from the head needs no timer and no sort.
  const tombstones = new Map<string, Tombstone>();

  return {
    getSession: (id) => sessions.get(id),
    setSession: (record) => {
      sessions.set(record.id, record);
    },
    deleteSession: (id) => {
      sessions.delete(id);
    },
    getTombstone: (id) => {
      const tombstone = tombstones.get(id);
      if (tombstone && tombstone.expiresAt <= Date.now()) {
        tombstones.delete(id);
        return undefined;
      }
      return tombstone;
    },
    setTombstone: (tombstone) => {
      tombstones.delete(tombstone.id);
      tombstones.set(tombstone.id, tombstone);
      const now = Date.now();
      for (const [id, oldest] of tombstones) {
        if (tombstones.size <= maxTombstones && oldest.expiresAt > now) break;
        tombstones.delete(id);
      }
    },
    close: () => {
      sessions.clear();
      tombstones.clear();
    },
  };
}
