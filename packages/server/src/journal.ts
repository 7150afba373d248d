// Write-through of a session to a store that has `sync` (e.g. Redis), so that a server
// that dies loses nothing a client has seen or been told: a server→client message is
// written to the socket only once it is durable, and a client message is acknowledged
// only once `handled` is durable. One sync per session at a time; everything that changed
// meanwhile goes into the next one (group commit), so the cost is one store round trip
// per burst, not per message.
import type { SessionRecord, SessionStore } from './store.js';

/** How long to wait before retrying a failed sync, ms (the store is down or restarting). */
const RETRY_MS = 500;

/** What the journal needs from its session. */
export interface JournalOwner {
  /** New durable positions: flush what may now be written and acknowledged. */
  journalAdvanced(): void;
  /**
   * The store refused for good (`error.retryable === false`, e.g. another server took the
   * session over): this copy must not show its client anything more.
   */
  journalRefused(): void;
  reportError(error: unknown): void;
}

export class Journal {
  /** Highest server seq known durable: the socket may carry messages up to here. */
  sent: number;
  /** Highest handled client seq known durable: acks may cover up to here. */
  handled: number;
  /** Messages up to this seq were handed to the store (maybe not yet confirmed). */
  private appendedUpTo: number;
  private running = false;
  private again = false;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly owner: JournalOwner,
    private readonly record: SessionRecord,
    private readonly sync: NonNullable<SessionStore['sync']>,
  ) {
    // A record fresh from the store (an adopted session) is durable as it is.
    this.sent = record.sent;
    this.handled = record.handled;
    this.appendedUpTo = record.sent;
  }

  /** Something changed (messages sent, handled, acknowledged): sync soon. */
  changed(): void {
    if (this.stopped) return;
    if (this.running || this.retryTimer !== undefined) {
      this.again = true;
      return;
    }
    this.running = true;
    // End of this turn: every send() and settle of the turn shares one sync.
    queueMicrotask(() => this.run());
  }

  private run(): void {
    if (this.stopped) return;
    const r = this.record;
    const sent = r.sent;
    const handled = r.handled;
    const from = this.appendedUpTo + 1;
    this.appendedUpTo = sent;
    this.again = false;
    let pending: Promise<void>;
    try {
      pending = this.sync(r, from);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      () => {
        this.running = false;
        if (this.stopped) return;
        if (sent > this.sent) this.sent = sent;
        if (handled > this.handled) this.handled = handled;
        this.owner.journalAdvanced();
        if (this.again) this.changed();
      },
      (error: unknown) => {
        this.running = false;
        if (this.stopped) return;
        // Append again what this attempt may not have written; the store skips what it has.
        this.appendedUpTo = Math.min(this.appendedUpTo, from - 1);
        this.owner.reportError(error);
        if ((error as { retryable?: unknown } | null)?.retryable === false) {
          this.stopped = true;
          this.owner.journalRefused();
          return;
        }
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.again = false;
          this.changed();
        }, RETRY_MS);
      },
    );
  }

  /** The session ended: no more syncs (the server writes its final state itself). */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}
