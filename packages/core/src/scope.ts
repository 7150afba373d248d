import type { Clock } from './clock.js';

/**
 * Owns timers and teardown functions so that one `dispose()` clears them all.
 * Leaked reconnect timers kept processes alive elsewhere (partykit #402); here
 * nothing schedules a timer except through a scope.
 */
export class Scope {
  private readonly timers = new Set<unknown>();
  private readonly teardowns = new Set<() => void>();
  private disposed = false;

  constructor(private readonly clock: Clock) {}

  /** A one-shot timer owned by this scope. Returns a cancel function. */
  timeout(fn: () => void, ms: number): () => void {
    if (this.disposed) return noop;
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, Math.max(0, ms));
    this.timers.add(handle);
    return () => {
      if (this.timers.delete(handle)) this.clock.clearTimeout(handle);
    };
  }

  /** A teardown run on dispose (e.g. removing a platform listener). Returns a function that runs it early. */
  add(teardown: () => void): () => void {
    if (this.disposed) {
      teardown();
      return noop;
    }
    this.teardowns.add(teardown);
    return () => {
      if (this.teardowns.delete(teardown)) teardown();
    };
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Clears every timer and runs every teardown, and stays usable (a closed client can connect again). */
  clear(): void {
    for (const handle of this.timers) this.clock.clearTimeout(handle);
    this.timers.clear();
    const teardowns = [...this.teardowns];
    this.teardowns.clear();
    for (const teardown of teardowns) teardown();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const handle of this.timers) this.clock.clearTimeout(handle);
    this.timers.clear();
    const teardowns = [...this.teardowns];
    this.teardowns.clear();
    for (const teardown of teardowns) teardown();
  }
}

export function noop(): void {}
