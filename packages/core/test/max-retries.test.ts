// maxRetries: exactly that many reconnect attempts after the first, then a
// RECONNECT_EXHAUSTED error and state closed.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { failEverySocket, flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('maxRetries', () => {
  it.each([0, 1, 5])('maxRetries %i: 1 + %i attempts, then RECONNECT_EXHAUSTED and closed', async (maxRetries) => {
    const { server, client, events } = start({ maxRetries, backoff: { maxMs: 100 } });
    const queued = track(client.send('x'));
    await failEverySocket(server, 5000, 10);
    expect(server.sockets).toHaveLength(1 + maxRetries);
    expect(client.stats().attempts).toBe(1 + maxRetries);
    expect(events.retries.map((r) => r.attempt)).toEqual(Array.from({ length: maxRetries }, (_, i) => i + 1));
    expect(events.errors.filter((e) => e.code === 'RECONNECT_EXHAUSTED')).toHaveLength(1);
    expect(client.state).toBe('closed');
    expect(events.closes.at(-1)?.willReconnect).toBe(false);
    expect(events.closes.slice(0, -1).every((c) => c.willReconnect)).toBe(true);
    expect(events.states.at(-1)).toMatchObject({ state: 'closed' });
    expect(queued.status).toBe('rejected');
    expect(queued.error.code).toBe('CLIENT_CLOSED');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('counts failed attempts after a connection was lost, too', async () => {
    const { server, client, events } = start({ maxRetries: 2, backoff: { maxMs: 100 } });
    const socket = await server.open();
    socket.closeFromServer(1006, '', false);
    await flush();
    await failEverySocket(server, 3000, 10);
    expect(server.sockets).toHaveLength(3);
    expect(events.errors.map((e) => e.code)).toEqual(['RECONNECT_EXHAUSTED']);
    expect(client.state).toBe('closed');
  });
});
