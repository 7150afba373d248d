// connectTimeoutMs bounds socket open plus handshake: no welcome in time → a
// CONNECT_TIMEOUT error event, then a retry; the abandoned socket does not linger.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('connect timeout', () => {
  it('a socket that never opens: CONNECT_TIMEOUT error, then a retry event', async () => {
    const { server, client, events } = start({ connectTimeoutMs: 3000 });
    await server.next();
    await vi.advanceTimersByTimeAsync(2999);
    expect(events.errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.errors.map((e) => e.code)).toEqual(['CONNECT_TIMEOUT']);
    expect(events.errors[0].retryable).toBe(true);
    const order = events.log.map((e) => e.event).filter((e) => e === 'error' || e === 'retry');
    expect(order).toEqual(['error', 'retry']);
    expect(client.state).toBe('connecting');
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    expect(server.sockets).toHaveLength(2);
  });

  it('an open socket without a welcome times out the same way (the deadline covers the handshake)', async () => {
    const { server, events } = start({ connectTimeoutMs: 3000 });
    const socket = await server.next();
    socket.accept();
    await flush();
    expect(socket.hello()).toBeDefined();
    await vi.advanceTimersByTimeAsync(3000);
    expect(events.errors.map((e) => e.code)).toEqual(['CONNECT_TIMEOUT']);
    expect(events.retries).toHaveLength(1);
  });

  it('the timer is cancelled by the welcome', async () => {
    const { server, client, events } = start({ connectTimeoutMs: 3000 });
    await server.open();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(events.errors).toEqual([]);
    expect(client.state).toBe('open');
  });

  it('the timed-out socket is closed or terminated, and ignored if it opens later', async () => {
    const { server, events } = start({ connectTimeoutMs: 3000 });
    const socket = await server.next();
    await vi.advanceTimersByTimeAsync(3000);
    expect(events.errors.map((e) => e.code)).toEqual(['CONNECT_TIMEOUT']);
    // Nothing may keep a socket the client gave up on (a leak on every slow attempt).
    expect(socket.terminated || socket.closedByClient !== undefined).toBe(true);
    // A late open of the abandoned socket changes nothing.
    if (socket.readyState === 'connecting') {
      socket.accept();
      await flush();
      expect(socket.sent).toEqual([]);
    }
    expect(events.opens).toBe(0);
  });
});
