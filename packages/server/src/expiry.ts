// Credentials that expire: `withExpiry()` for `authenticate`, and the per-socket watch
// that asks the client for a fresh credential in-band before the old one runs out.
import { CloseCode, encodeControl } from '@continuum/protocol';

/**
 * An identity whose credential expires; create it with {@link withExpiry}. A class
 * rather than a `{ identity, expiresAt }` shape, so that an app whose identity object
 * happens to have those two fields is never misread.
 */
export class ExpiringIdentity<Identity> {
  /** @internal Use withExpiry(). */
  constructor(
    readonly identity: Identity,
    /** When the credential expires, ms since the epoch. */
    readonly expiresAt: number,
  ) {}
}

/**
 * Returned from `authenticate`: the identity, plus when the credential it was proven
 * with expires. The server then asks the client for a fresh credential shortly before
 * (`refresh` control message, `refreshLeadMs` ahead or halfway, whichever is later),
 * runs `authenticate` again with `refresh: true` when it arrives (the identity must be
 * the same, else close 4403) and moves the expiry; a socket whose credential expires
 * anyway is closed with 4401, and the client reconnects with a fresh one and resumes.
 * A plain identity (not wrapped) never expires.
 *
 * @param expiresAt ms since the epoch (e.g. a JWT's `exp * 1000`) or a Date.
 * @throws TypeError if `expiresAt` is not a finite time, or `identity` is
 *   null/undefined/false (to refuse a credential, return null instead).
 * @example
 * ```ts
 * authenticate: async ({ token }) => {
 *   const claims = await verify(token).catch(() => null);
 *   if (!claims) throw new AuthError('expired');
 *   return withExpiry({ userId: claims.sub }, claims.exp * 1000);
 * }
 * ```
 */
export function withExpiry<Identity>(identity: Identity, expiresAt: number | Date): ExpiringIdentity<Identity> {
  const at = expiresAt instanceof Date ? expiresAt.getTime() : expiresAt;
  if (typeof at !== 'number' || !Number.isFinite(at)) {
    throw new TypeError(`withExpiry: expiresAt must be ms since the epoch or a Date, got ${String(expiresAt)}`);
  }
  if (identity === null || identity === undefined || (identity as unknown) === false) {
    throw new TypeError('withExpiry: identity must be an identity; to refuse a credential, return null from authenticate');
  }
  return new ExpiringIdentity(identity, at);
}

// setTimeout fires at once for anything above 2^31 - 1 ms; longer waits are re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What the watch needs from its socket. */
export interface WatchedSocket {
  write(data: string): void;
  close(code: number, reason: string): void;
}

/**
 * Watches one socket's credential: sends `refresh { inMs }` at `refreshAt`, closes the
 * socket with 4401 at `expiresAt`. One timer, armed only while a credential expires.
 */
export class CredentialWatch {
  private expiresAt = 0;
  private refreshAt = 0;
  private asked = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly socket: WatchedSocket,
    private readonly leadMs: number,
  ) {}

  /**
   * A credential valid until `expiresAt` (ms epoch). A later expiry than the current
   * one is asked to be refreshed again; the same or an earlier one is not (a client
   * whose provider hands back a cached token is not asked in a loop).
   */
  set(expiresAt: number, now = Date.now()): void {
    if (expiresAt > this.expiresAt) {
      this.asked = false;
      this.refreshAt = expiresAt - Math.min(this.leadMs, Math.floor((expiresAt - now) / 2));
    }
    this.expiresAt = expiresAt;
    this.arm(now);
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** @internal */
  due(): void {
    this.timer = undefined;
    this.arm(Date.now());
  }

  private arm(now: number): void {
    this.clear();
    if (now >= this.expiresAt) {
      this.socket.close(CloseCode.UNAUTHORIZED, 'credentials expired');
      return;
    }
    if (!this.asked && now >= this.refreshAt) {
      this.asked = true;
      this.socket.write(encodeControl({ t: 'refresh', inMs: this.expiresAt - now }));
    }
    const next = this.asked ? this.expiresAt : this.refreshAt;
    this.timer = setTimeout(watchDue, Math.min(Math.max(0, next - now), MAX_TIMER_MS), this);
  }
}

// A timer callback without a closure per socket.
function watchDue(watch: CredentialWatch): void {
  watch.due();
}
