// heartbeat.intervalMs: the client also pings at that interval, and its watchdog uses
// the shorter of its own and the server's interval (fast detection of a half-open link).
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('client pings', () => {
  it("sends {t:'ping'} every intervalMs", async () => {
    const { server } = start({ heartbeat: { intervalMs: 200, timeoutMs: 10_000 } });
    const socket = await server.open();
    const pings = () => socket.controls().filter((c) => c.t === 'ping').length;
    await vi.advanceTimersByTimeAsync(199);
    expect(pings()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(pings()).toBe(1);
    await vi.advanceTimersByTimeAsync(800);
    expect(pings()).toBe(5);
  });

  it('sends no pings without intervalMs', async () => {
    const { server } = start();
    const socket = await server.open({ pingMs: 1000 });
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      socket.serverPing();
    }
    expect(socket.controls().filter((c) => c.t === 'ping')).toHaveLength(0);
  });

  it('answered pings keep the link and measure the RTT', async () => {
    const { server, client, events } = start({ heartbeat: { intervalMs: 200, timeoutMs: 300 } });
    const socket = await server.open(); // server pings only every 25 s
    let answered = 0;
    for (let t = 0; t < 5000; t += 50) {
      await vi.advanceTimersByTimeAsync(50);
      const pings = socket.controls().filter((c) => c.t === 'ping').length;
      while (answered < pings) {
        socket.control({ t: 'pong' });
        answered++;
      }
    }
    expect(answered).toBeGreaterThanOrEqual(20);
    expect(events.errors).toEqual([]);
    expect(client.state).toBe('open');
    expect(client.stats().lastRttMs).toBe(0);
  });

  it('unanswered: dead after intervalMs + timeoutMs, not pingMs + timeoutMs', async () => {
    const { server, events } = start({ heartbeat: { intervalMs: 200, timeoutMs: 300 } });
    const socket = await server.open({ pingMs: 25_000 });
    await vi.advanceTimersByTimeAsync(499);
    expect(events.errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(events.errors.map((e) => e.code)).toEqual(['HEARTBEAT_TIMEOUT']);
    expect(socket.terminated).toBe(true);
  });
});
