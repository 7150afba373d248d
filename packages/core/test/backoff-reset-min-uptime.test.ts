// Backoff resets only after a connection stayed up minUptimeMs past its welcome,
// never on a socket merely opening (centrifuge-js #408).
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('backoff reset after minUptimeMs', () => {
  it('a connection lost before minUptimeMs continues the schedule; one that stayed up resets it', async () => {
    const { server, events } = start({ minUptimeMs: 1000 });
    const lastAttempt = () => events.retries.at(-1)!.attempt;
    const wait = () => vi.advanceTimersByTimeAsync(events.retries.at(-1)!.delayMs);

    (await server.open()).closeFromServer(1006, '', false);
    expect(lastAttempt()).toBe(1);
    await wait();
    const s2 = await server.open();
    await vi.advanceTimersByTimeAsync(999);
    s2.closeFromServer(1006, '', false);
    expect(lastAttempt()).toBe(2);
    await wait();
    const s3 = await server.open();
    await vi.advanceTimersByTimeAsync(500);
    s3.closeFromServer(1006, '', false);
    expect(lastAttempt()).toBe(3);
    await wait();
    const s4 = await server.open();
    await vi.advanceTimersByTimeAsync(1000);
    s4.closeFromServer(1006, '', false);
    expect(lastAttempt()).toBe(1);
  });

  it('a socket that opens but never gets a welcome does not reset it', async () => {
    const { server, events } = start({ minUptimeMs: 100, connectTimeoutMs: 60_000 });
    (await server.open()).closeFromServer(1006, '', false);
    for (let i = 2; i <= 4; i++) {
      await vi.advanceTimersByTimeAsync(events.retries.at(-1)!.delayMs);
      const s = await server.next();
      s.accept();
      await flush();
      await vi.advanceTimersByTimeAsync(5000);
      s.closeFromServer(1006, '', false);
      expect(events.retries.at(-1)!.attempt).toBe(i);
    }
  });

  it('later attempts grow: full-jitter exponential', async () => {
    const { server, events } = start({ random: () => 0.999, backoff: { jitter: 'full' } });
    (await server.open()).closeFromServer(1006, '', false);
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(events.retries.at(-1)!.delayMs);
      (await server.next()).closeFromServer(1006, '', false);
    }
    const delays = events.retries.map((r) => r.delayMs);
    expect(delays.slice(1)).toEqual([2000, 4000, 8000, 16_000, 30_000].map((d) => Math.round(d * 0.999)));
  });
});
