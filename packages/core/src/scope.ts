import type { Clock } from './clock.js';

/**
 * Owns timers so that one `clear()` cancels them all. Leaked reconnect timers kept
 * processes alive elsewhere (partykit #402); here nothing schedules a timer except
 * through a scope.
 *
 * The set is created on first use and dropped when cleared: most scopes are empty
 * most of the time (an idle connection has no pending timer), so an empty scope
 * costs one small object.
 */
export class Scope {
  private timers: Set<unknown> | undefined = undefined;

  constructor(private readonly clock: Clock) {}

  /** A one-shot timer owned by this scope. Returns a cancel function. */
  timeout(fn: () => void, ms: number): () => void {
    const timers = (this.timers ??= new Set());
    const handle = this.clock.setTimeout(() => {
      timers.delete(handle);
      fn();
    }, Math.max(0, ms));
    timers.add(handle);
    return () => {
      if (timers.delete(handle)) this.clock.clearTimeout(handle);
    };
  }

  /** Cancels every pending timer. The scope stays usable (a closed client can connect again). */
  clear(): void {
    const timers = this.timers;
    this.timers = undefined;
    if (timers) for (const handle of timers) this.clock.clearTimeout(handle);
  }
}
