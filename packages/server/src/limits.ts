// Per-session rates, sessions per identity and concurrent handshakes: the server's
// defences against one client (or one user) taking more than its share.
import { formatRetryHint } from '@continuum/protocol';

/**
 * Limits, each with a default that a well-behaved app never meets. `Infinity` turns a
 * limit off. Over a limit the client is told with a close code it understands (4429 with
 * a retry hint, or HTTP 503 before the upgrade), never silently dropped.
 */
export interface LimitsOptions {
  /**
   * Client messages per second per session: each app message (an entry of a DATA,
   * RESEND or VOLATILE frame) and each control message counts one. A token bucket that
   * holds one second's worth, so bursts up to this many pass at once. Over it the socket
   * is closed with 4429 and a retry hint; the session survives, and the client resumes
   * and re-sends what the server had not received, so nothing is lost.
   * Generous by default: batching lets one client move hundreds of thousands of small
   * messages a second, and a resume re-sends a backlog in one burst.
   * @default 10000
   */
  messagesPerSecond?: number;
  /**
   * Client bytes per second per session (WebSocket payload bytes, every frame counts).
   * A token bucket like `messagesPerSecond`, with the same consequence.
   * @default 16777216 (16 MiB)
   */
  bytesPerSecond?: number;
  /**
   * Sessions one identity may hold on this server (connected or waiting for a resume),
   * identities compared like resumes (`JSON.stringify`). A socket that would start one
   * more is closed with 4429 and a retry hint; resuming an existing session is never
   * refused. Does not apply without `authenticate` (every client is then `null`).
   * @default 100
   */
  sessionsPerIdentity?: number;
  /**
   * Sockets between the upgrade and the welcome (waiting for `hello` or for
   * `authenticate`). Past it, upgrades are answered HTTP 503 with `Retry-After` before a
   * WebSocket exists, which is the cheapest refusal during a reconnect storm.
   * @default 1000
   */
  concurrentHandshakes?: number;
}

/** Limits after defaults and validation. */
export type ResolvedLimits = Required<LimitsOptions>;

/** The defaults of {@link LimitsOptions}. */
export const LIMIT_DEFAULTS = {
  messagesPerSecond: 10_000,
  bytesPerSecond: 16 * 1024 * 1024,
  sessionsPerIdentity: 100,
  concurrentHandshakes: 1000,
} as const;

const LIMIT_KEYS = Object.keys(LIMIT_DEFAULTS) as (keyof LimitsOptions)[];

/** Validates `limits` once, at createServer. */
export function resolveLimits(value: unknown): ResolvedLimits {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new TypeError('createServer: limits must be an object, e.g. { messagesPerSecond: 100 }');
  }
  const o = (value ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(LIMIT_KEYS as string[]).includes(key)) {
      throw new TypeError(`createServer: unknown option "limits.${key}"; known: ${LIMIT_KEYS.join(', ')}`);
    }
  }
  const resolved = { ...LIMIT_DEFAULTS } as ResolvedLimits;
  for (const key of LIMIT_KEYS) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v) || (!Number.isInteger(v) && v !== Infinity)) {
      throw new TypeError(`createServer: limits.${key} must be a positive integer or Infinity, got ${String(v)}`);
    }
    if (v < 1) throw new RangeError(`createServer: limits.${key} must be at least 1 (or Infinity to turn it off), got ${v}`);
    resolved[key] = v;
  }
  return resolved;
}

/** Retry window sent with a 4429 for too many sessions, ms: sessions free up slowly. */
export const SESSIONS_RETRY_MS = { min: 5_000, max: 15_000 } as const;
/** Spread added on top of the refill time of a rate-limited session, ms. */
const RATE_RETRY_SPREAD_MS = 4_000;
/** `Retry-After` of an upgrade refused for too many concurrent handshakes, s. */
export const HANDSHAKES_RETRY_AFTER_S = 5;

/**
 * A session's two token buckets (messages and bytes), refilled continuously, each
 * holding at most one second's worth. A frame passes while the buckets it draws from
 * are not empty (in debt) and is charged in full: a batch larger than a bucket (the client may put 4096
 * messages in one frame) passes once, and the next frame waits until the debt is paid.
 * Charging before the frame is processed would otherwise refuse such a batch forever.
 */
class RateBucket {
  messages: number;
  bytes: number;
  at: number;
  constructor(limits: ResolvedLimits, now: number) {
    this.messages = limits.messagesPerSecond;
    this.bytes = limits.bytesPerSecond;
    this.at = now;
  }
}

/** Why a limit refused something; names the metric label. */
export type LimitName = 'messages' | 'bytes' | 'sessions' | 'handshakes';

/** A verdict: close the socket with this reason (4429), counted under `limit`. */
export interface RateVerdict {
  limit: LimitName;
  reason: string;
}

/** Enforces {@link ResolvedLimits} for one server (handshakes: the hub counts them). */
export class Limiter {
  // Created with a session's first frame and collected with the session: idle sessions
  // cost nothing here.
  private readonly buckets = new WeakMap<object, RateBucket>();
  private readonly sessionsByIdentity = new Map<string, number>();
  private readonly rates: boolean;

  constructor(
    readonly limits: ResolvedLimits,
    private readonly countsIdentities: boolean,
  ) {
    this.rates = limits.messagesPerSecond !== Infinity || limits.bytesPerSecond !== Infinity;
  }

  /**
   * Charges a frame of `messages` messages and `bytes` bytes to `session`. Returns
   * undefined when it may pass, else the 4429 close reason with its retry hint.
   */
  charge(session: object, messages: number, bytes: number, now = Date.now()): RateVerdict | undefined {
    if (!this.rates) return undefined;
    const { messagesPerSecond, bytesPerSecond } = this.limits;
    let bucket = this.buckets.get(session);
    if (!bucket) {
      bucket = new RateBucket(this.limits, now);
      this.buckets.set(session, bucket);
    } else if (now > bucket.at) {
      const seconds = (now - bucket.at) / 1000;
      bucket.messages = Math.min(messagesPerSecond, bucket.messages + seconds * messagesPerSecond);
      bucket.bytes = Math.min(bytesPerSecond, bucket.bytes + seconds * bytesPerSecond);
      bucket.at = now;
    }
    // A frame without messages (an ack) is not held back by the messages bucket.
    const overMessages = messages > 0 && bucket.messages <= 0;
    if (overMessages || bucket.bytes <= 0) {
      // Time until both buckets are out of debt, at least a second: the bucket is full again.
      const debtMs = Math.max(-bucket.messages / messagesPerSecond, -bucket.bytes / bytesPerSecond) * 1000;
      const minMs = Math.max(1000, Math.ceil(debtMs));
      const what = overMessages ? `${messagesPerSecond} messages/s` : `${bytesPerSecond} bytes/s`;
      return {
        limit: overMessages ? 'messages' : 'bytes',
        reason: formatRetryHint(`rate limit: over ${what}`, minMs, minMs + RATE_RETRY_SPREAD_MS),
      };
    }
    bucket.messages -= messages;
    bucket.bytes -= bytes;
    return undefined;
  }

  /** Whether `identityKey` may start one more session; the 4429 verdict when not. */
  admitSession(identityKey: string): RateVerdict | undefined {
    if (!this.countsIdentities) return undefined;
    const max = this.limits.sessionsPerIdentity;
    if ((this.sessionsByIdentity.get(identityKey) ?? 0) < max) return undefined;
    return {
      limit: 'sessions',
      reason: formatRetryHint(`too many sessions for this identity (limit ${max})`, SESSIONS_RETRY_MS.min, SESSIONS_RETRY_MS.max),
    };
  }

  /** A session of `identityKey` is now held by this server (started or adopted). */
  sessionAdded(identityKey: string): void {
    if (!this.countsIdentities) return;
    this.sessionsByIdentity.set(identityKey, (this.sessionsByIdentity.get(identityKey) ?? 0) + 1);
  }

  /** A session of `identityKey` ended. */
  sessionRemoved(identityKey: string): void {
    if (!this.countsIdentities) return;
    const n = (this.sessionsByIdentity.get(identityKey) ?? 0) - 1;
    if (n > 0) this.sessionsByIdentity.set(identityKey, n);
    else this.sessionsByIdentity.delete(identityKey);
  }
}
