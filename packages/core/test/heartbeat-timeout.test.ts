// Inbound silence longer than pingMs + heartbeat.timeoutMs: HEARTBEAT_TIMEOUT, the
// socket is terminated (a dead link cannot complete a closing handshake), and the
// client reconnects with a fast first attempt (it detected the loss itself).
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('heartbeat timeout', () => {
  it('no inbound traffic for pingMs + timeoutMs → HEARTBEAT_TIMEOUT, terminated, fast reconnect', async () => {
    // random 0.9: a fast first attempt is 900 ms; a spread one would be 4500 ms.
    const { server, client, events } = start({ heartbeat: { timeoutMs: 500 }, random: () => 0.9 });
    const socket = await server.open({ pingMs: 1000 });
    await vi.advanceTimersByTimeAsync(1499);
    expect(events.errors).toEqual([]);
    expect(client.state).toBe('open');
    await vi.advanceTimersByTimeAsync(1);
    expect(events.errors.map((e) => e.code)).toEqual(['HEARTBEAT_TIMEOUT']);
    expect(socket.terminated).toBe(true);
    expect(events.closes).toMatchObject([{ willReconnect: true }]);
    expect(client.state).toBe('reconnecting');
    expect(events.retries).toHaveLength(1);
    expect(events.retries[0].delayMs).toBeLessThanOrEqual(1000);
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    expect(server.sockets).toHaveLength(2);
  });

  it('any inbound frame counts as life', async () => {
    const { server, client, events } = start({ heartbeat: { timeoutMs: 500 } });
    const socket = await server.open({ pingMs: 1000 });
    for (let i = 1; i <= 20; i++) {
      await vi.advanceTimersByTimeAsync(1400);
      socket.data(i, 0, [`m${i}`]);
    }
    expect(events.errors).toEqual([]);
    expect(client.state).toBe('open');
  });

  it('the server pings are answered with pong at once', async () => {
    const { server } = start();
    const socket = await server.open();
    socket.serverPing();
    socket.serverPing();
    expect(socket.controls().filter((c) => c.t === 'pong')).toHaveLength(2);
  });

  it('a frame from the terminated socket no longer counts', async () => {
    const { server, events } = start({ heartbeat: { timeoutMs: 500 } });
    const socket = await server.open({ pingMs: 1000 });
    await vi.advanceTimersByTimeAsync(1500);
    expect(socket.terminated).toBe(true);
    socket.serverPing();
    await flush();
    expect(socket.sent.filter((f) => typeof f === 'string' && f.includes('pong'))).toEqual([]);
    expect(events.errors).toHaveLength(1);
  });
});
