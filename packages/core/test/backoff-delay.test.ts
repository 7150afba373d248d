// reconnectDelay is pure: the cause, the attempt, the options and a random draw decide
// the delay. These are its documented properties (CONTRACT "Backoff defaults").
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { reconnectDelay, type BackoffOptions } from '@continuum/core';
import { seeded } from './helpers/fake-server.js';

const defaults: BackoffOptions = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 'full', spreadMs: 5000, fastMs: 1000 };
const fixed = (value: number) => () => value;
const ALMOST_ONE = 1 - 2 ** -40;

describe('reconnectDelay', () => {
  it('spreads the first attempt over spreadMs when the server side went away', () => {
    expect(reconnectDelay(1, 'server', defaults, fixed(0))).toBe(0);
    expect(reconnectDelay(1, 'server', defaults, fixed(0.5))).toBe(2500);
    const top = reconnectDelay(1, 'server', defaults, fixed(ALMOST_ONE));
    expect(top).toBeLessThan(5000);
    expect(top).toBeGreaterThan(4999);
    expect(reconnectDelay(1, 'server', { ...defaults, spreadMs: 8000 }, fixed(0.5))).toBe(4000);
  });

  it('brings the first attempt within fastMs when the client noticed the loss', () => {
    expect(reconnectDelay(1, 'client', defaults, fixed(0.5))).toBe(500);
    expect(reconnectDelay(1, 'client', defaults, fixed(ALMOST_ONE))).toBeLessThanOrEqual(1000);
    expect(reconnectDelay(1, 'client', { ...defaults, fastMs: 200 }, fixed(ALMOST_ONE))).toBeLessThanOrEqual(200);
  });

  it("'none' jitter follows the exponential schedule exactly, capped at maxMs", () => {
    const o = { ...defaults, jitter: 'none' as const };
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => reconnectDelay(n, 'failed-attempt', o, fixed(0.3)));
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
  });

  it("'full' jitter draws uniformly in [0, step]", () => {
    // attempt 3: step = 1000 * 2^2 = 4000
    expect(reconnectDelay(3, 'failed-attempt', defaults, fixed(0))).toBe(0);
    expect(reconnectDelay(3, 'failed-attempt', defaults, fixed(0.25))).toBe(1000);
    expect(reconnectDelay(3, 'failed-attempt', defaults, fixed(ALMOST_ONE))).toBeCloseTo(4000, 3);
  });

  it("'equal' jitter draws uniformly in [step/2, step]", () => {
    const o = { ...defaults, jitter: 'equal' as const };
    expect(reconnectDelay(3, 'failed-attempt', o, fixed(0))).toBe(2000);
    expect(reconnectDelay(3, 'failed-attempt', o, fixed(0.5))).toBe(3000);
    expect(reconnectDelay(3, 'failed-attempt', o, fixed(ALMOST_ONE))).toBeCloseTo(4000, 3);
  });

  it('a retry hint overrides the first-attempt rules: uniform inside the window', () => {
    const hint = { minMs: 2000, maxMs: 3000 };
    expect(reconnectDelay(1, 'server', defaults, fixed(0), hint)).toBe(2000);
    expect(reconnectDelay(1, 'client', defaults, fixed(0.5), hint)).toBe(2500);
    expect(reconnectDelay(4, 'failed-attempt', defaults, fixed(ALMOST_ONE), hint)).toBeLessThanOrEqual(3000);
  });

  it('a hint window past maxMs is scaled into it, keeping the spread (30–60 s with maxMs 30 s → 15–30 s)', () => {
    const hint = { minMs: 30_000, maxMs: 60_000 };
    expect(reconnectDelay(1, 'server', defaults, () => 0, hint)).toBe(15_000);
    expect(reconnectDelay(1, 'server', defaults, () => 0.5, hint)).toBe(22_500);
    expect(reconnectDelay(1, 'server', defaults, () => 0.999_999, hint)).toBeCloseTo(30_000, 0);
    // 1,000 clients: spread over the scaled window, not piled up at maxMs.
    const random = seeded(7);
    const delays = Array.from({ length: 1000 }, () => reconnectDelay(1, 'server', defaults, random, hint));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(15_000);
    expect(delays.filter((d) => d === 30_000).length).toBe(0);
    expect(new Set(delays.map((d) => Math.floor(d / 1000))).size).toBe(15);
  });

  it('never exceeds maxMs, whatever the cause or hint', () => {
    const o = { ...defaults, maxMs: 250 };
    const r = fixed(ALMOST_ONE);
    expect(reconnectDelay(1, 'server', o, r)).toBeLessThanOrEqual(250);
    expect(reconnectDelay(1, 'client', o, r)).toBeLessThanOrEqual(250);
    expect(reconnectDelay(1, 'slow-down', o, r)).toBeLessThanOrEqual(250);
    expect(reconnectDelay(9, 'failed-attempt', o, r)).toBeLessThanOrEqual(250);
    expect(reconnectDelay(1, 'server', o, r, { minMs: 2000, maxMs: 8000 })).toBeLessThanOrEqual(250);
  });

  it('draws from the random source on every call (no lock-step between clients, partykit #397)', () => {
    let calls = 0;
    const counting = () => (calls++, 0.5);
    reconnectDelay(1, 'server', defaults, counting);
    reconnectDelay(1, 'client', defaults, counting);
    reconnectDelay(2, 'failed-attempt', defaults, counting);
    expect(calls).toBe(3);
  });

  it('stays finite when the exponential schedule overflows (initialMs 0, a very long outage)', () => {
    // initialMs: 0 passes option validation; 0 * 2^1100 = 0 * Infinity = NaN.
    const o = { ...defaults, initialMs: 0 };
    const delay = reconnectDelay(1100, 'failed-attempt', o, fixed(0.5));
    expect(Number.isFinite(delay)).toBe(true);
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThanOrEqual(o.maxMs);
  });

  it('property: never above maxMs, never negative, always a number', () => {
    const options = fc.record({
      initialMs: fc.integer({ min: 0, max: 100_000 }),
      maxMs: fc.integer({ min: 0, max: 100_000 }),
      factor: fc.double({ min: 1, max: 10, noNaN: true }),
      jitter: fc.constantFrom('full' as const, 'equal' as const, 'none' as const),
      spreadMs: fc.integer({ min: 0, max: 100_000 }),
      fastMs: fc.integer({ min: 0, max: 100_000 }),
    });
    const hint = fc.option(
      fc.tuple(fc.integer({ min: 0, max: 86_400_000 }), fc.integer({ min: 0, max: 86_400_000 })).map(([a, b]) => ({ minMs: Math.min(a, b), maxMs: Math.max(a, b) })),
      { nil: undefined },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.constantFrom('client' as const, 'server' as const, 'slow-down' as const, 'failed-attempt' as const),
        options,
        fc.double({ min: 0, max: ALMOST_ONE, noNaN: true }),
        hint,
        (attempt, cause, o, r, h) => {
          const delay = reconnectDelay(attempt, cause, o, () => r, h);
          expect(Number.isNaN(delay)).toBe(false);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(o.maxMs);
        },
      ),
      { seed: 20_240_501, numRuns: 3000 },
    );
  });
});
