// A retry hint in the close reason (`retry=MIN-MAX`, ms) decides the delay: uniformly
// inside the window, overriding the first-attempt rules.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { seeded, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('retry hint', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('retry=2000-3000 → delay in [2000, 3000], and the socket comes then (seed %i)', async (seed) => {
    const { server, events } = start({ random: seeded(seed) });
    const socket = await server.open();
    socket.closeFromServer(1012, 'restarting; retry=2000-3000');
    const { delayMs } = events.retries[0];
    expect(delayMs).toBeGreaterThanOrEqual(2000);
    expect(delayMs).toBeLessThanOrEqual(3000);
    await vi.advanceTimersByTimeAsync(delayMs - 1);
    expect(server.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.sockets).toHaveLength(2);
  });

  it('uses the whole window', async () => {
    const low = start({ random: () => 0 });
    (await low.server.open()).closeFromServer(4429, 'retry=2000-3000');
    const high = start({ random: () => 0.999 });
    (await high.server.open()).closeFromServer(4429, 'retry=2000-3000');
    expect(low.events.retries[0].delayMs).toBe(2000);
    expect(high.events.retries[0].delayMs).toBeGreaterThan(2990);
  });

  it('a single value: retry=700', async () => {
    const { server, events } = start();
    (await server.open()).closeFromServer(1001, 'going away; retry=700');
    expect(events.retries[0].delayMs).toBe(700);
  });
});
