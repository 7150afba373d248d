/**
 * Time as the core sees it. Injected so tests can drive every timer with fake
 * time, and so liveness is measured with timestamps rather than by counting
 * timer fires (a throttled background tab fires timers late, not never).
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
