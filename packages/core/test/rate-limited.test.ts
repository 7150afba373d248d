// A 4429 close: the app is told it is being throttled (RATE_LIMITED), and the
// client comes back after the server's hint.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('rate limited (4429)', () => {
  it('emits RATE_LIMITED before the close event, then reconnects inside the hint', async () => {
    const { server, client, events } = start({ random: () => 0.5 });
    const order: string[] = [];
    client.on('error', (e) => order.push(`error ${e.code}`));
    client.on('close', (e) => order.push(`close ${e.code}`));
    (await server.open()).closeFromServer(4429, 'rate limit: over 1000 messages/s; retry=1000-2000');
    expect(order).toEqual(['error RATE_LIMITED', 'close 4429']);
    expect(events.retries[0].delayMs).toBe(1500);
    await vi.advanceTimersByTimeAsync(1500);
    expect(server.sockets).toHaveLength(2);
  });
});
