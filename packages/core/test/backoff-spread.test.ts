// CONTRACT "Backoff defaults and reconnect storms": after the server side went away,
// no 100 ms window holds more than 5 % of the clients' first attempts.
import { describe, it, expect, vi, afterEach } from 'vitest';
import { Client, reconnectDelay } from '@continuum/core';
import { FakeServer, TEST_URL, flush, seeded } from './helpers/fake-server.js';

const CLIENTS = 2000;

function largestBinShare(delays: number[], binMs = 100): number {
  const bins = new Map<number, number>();
  for (const d of delays) bins.set(Math.floor(d / binMs), (bins.get(Math.floor(d / binMs)) ?? 0) + 1);
  return Math.max(...bins.values()) / delays.length;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('first reconnect attempts after a server-side loss are spread', () => {
  it('reconnectDelay with Math.random: no 100 ms bin holds more than 5 % of 2,000 first attempts', () => {
    const o = { initialMs: 1000, maxMs: 30_000, factor: 2, jitter: 'full' as const, spreadMs: 5000, fastMs: 1000 };
    const delays = Array.from({ length: CLIENTS }, () => reconnectDelay(1, 'server', o, Math.random));
    expect(largestBinShare(delays)).toBeLessThanOrEqual(0.05);
  });

  it('2,000 clients with default options (Math.random) dropped by 1006: no 100 ms bin holds more than 5 %', async () => {
    vi.useFakeTimers();
    const server = new FakeServer();
    const delays: number[] = [];
    const clients = Array.from({ length: CLIENTS }, () => {
      const client = new Client(TEST_URL, { transport: server.transport });
      client.on('retry', (e) => delays.push(e.delayMs));
      return client;
    });
    await flush();
    expect(server.sockets).toHaveLength(CLIENTS);
    for (const s of server.sockets) s.accept();
    await flush();
    for (const s of server.sockets) s.welcome();
    await flush();
    expect(clients.every((c) => c.state === 'open')).toBe(true);
    for (const s of [...server.sockets]) s.closeFromServer(1006, '', false);
    expect(delays).toHaveLength(CLIENTS);
    expect(Math.max(...delays)).toBeLessThanOrEqual(5000);
    expect(largestBinShare(delays)).toBeLessThanOrEqual(0.05);
  });

  it.each([1001, 1006, 1011, 1012])('close %i without a hint spreads the first attempt over the whole 5 s window', async (code) => {
    vi.useFakeTimers();
    const server = new FakeServer();
    const delays: number[] = [];
    for (let i = 0; i < 200; i++) {
      const client = new Client(TEST_URL, { transport: server.transport, random: seeded(i + 1) });
      client.on('retry', (e) => delays.push(e.delayMs));
    }
    await flush();
    for (const s of server.sockets) s.accept();
    await flush();
    for (const s of server.sockets) s.welcome();
    await flush();
    for (const s of [...server.sockets]) s.closeFromServer(code, '', code !== 1006);
    expect(delays).toHaveLength(200);
    expect(Math.min(...delays)).toBeLessThan(500);
    expect(Math.max(...delays)).toBeGreaterThan(4500);
    expect(Math.max(...delays)).toBeLessThanOrEqual(5000);
  });
});
