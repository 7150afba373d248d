// maxReconnectMs: give up once the client has been without a connection that long.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { FakeServer, failEverySocket, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const failFor = (server: FakeServer, client: { state: string }, ms: number) =>
  failEverySocket(server, ms, 10, 1006, () => client.state === 'closed');

describe('maxReconnectMs', () => {
  it('gives up after maxReconnectMs without a connection, not before', async () => {
    const { server, client, events } = start({ maxReconnectMs: 3000, backoff: { maxMs: 200 } });
    const startedAt = Date.now();
    let gaveUpAt = 0;
    client.on('error', (e) => {
      if (e.code === 'RECONNECT_EXHAUSTED') gaveUpAt = Date.now();
    });
    await failFor(server, client, 10_000);
    expect(client.state).toBe('closed');
    expect(events.errors.filter((e) => e.code === 'RECONNECT_EXHAUSTED')).toHaveLength(1);
    expect(gaveUpAt - startedAt).toBeGreaterThanOrEqual(3000);
    expect(gaveUpAt - startedAt).toBeLessThanOrEqual(3000 + 200);
    expect(server.sockets.length).toBeGreaterThan(5);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a long retry delay is cut short to give up on time', async () => {
    const { server, client, events } = start({ maxReconnectMs: 1000, random: () => 0.99 });
    const socket = await server.open();
    const lostAt = Date.now();
    socket.closeFromServer(1006, '', false); // first attempt would be ~4950 ms
    await vi.advanceTimersByTimeAsync(1000);
    expect(client.state).toBe('closed');
    expect(events.errors.map((e) => e.code)).toEqual(['RECONNECT_EXHAUSTED']);
    expect(Date.now() - lostAt).toBe(1000);
  });

  it('the clock restarts after a successful connection', async () => {
    const { server, client } = start({ maxReconnectMs: 3000, backoff: { maxMs: 200 } });
    await failFor(server, client, 2000);
    // let the next attempt come, and succeed
    while (server.sockets.length === server.cursor) await vi.advanceTimersByTimeAsync(10);
    await server.open();
    expect(client.state).toBe('open');
    await vi.advanceTimersByTimeAsync(5000);
    server.sockets.at(-1)!.closeFromServer(1006, '', false);
    await failFor(server, client, 2500);
    expect(client.state).not.toBe('closed');
  });
});
