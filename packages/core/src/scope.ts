import type { Clock } from './clock.js';

/**
 * Owns timers so that one `clear()` cancels them all. Leaked reconnect timers kept
 * processes alive elsewhere (partykit #402); here nothing schedules a timer except
 * through a scope.
 *
 * Most scopes hold no timer or one, so one timer lives in a field and a set is made only
 * for a second; both are dropped when cleared. A timer that re-arms itself for as long
 * as a connection is open (its heartbeat) has a slot of its own, with no wrapper.
 */
export class Scope {
  private one: unknown = undefined;
  private more: Set<unknown> | undefined = undefined;
  private slot: unknown = undefined;

  constructor(private readonly clock: Clock) {}

  /** A one-shot timer owned by this scope. Returns a cancel function. */
  timeout(fn: () => void, ms: number): () => void {
    const handle = this.clock.setTimeout(() => {
      this.forget(handle);
      fn();
    }, Math.max(0, ms));
    if (this.one === undefined) this.one = handle;
    else (this.more ??= new Set()).add(handle);
    return () => {
      if (this.forget(handle)) this.clock.clearTimeout(handle);
    };
  }

  /**
   * The scope's re-arming timer: replaces the one set before (fired or not). It costs
   * the timer alone, which is what every idle connection with a heartbeat holds.
   */
  rearm(fn: () => void, ms: number): void {
    if (this.slot !== undefined) this.clock.clearTimeout(this.slot);
    this.slot = this.clock.setTimeout(fn, Math.max(0, ms));
  }

  /** Cancels every pending timer. The scope stays usable (a closed client can connect again). */
  clear(): void {
    const { one, more, slot } = this;
    this.one = this.more = this.slot = undefined;
    if (one !== undefined) this.clock.clearTimeout(one);
    if (slot !== undefined) this.clock.clearTimeout(slot);
    if (more) for (const handle of more) this.clock.clearTimeout(handle);
  }

  /** Drops `handle` from the scope; true if it was there (still pending). */
  private forget(handle: unknown): boolean {
    if (this.one === handle) {
      this.one = undefined;
      return true;
    }
    return this.more?.delete(handle) ?? false;
  }
}
