// The raw heartbeat against a plain server: pings go out on schedule, pongs are
// swallowed, a live link is left alone, and a silent server is detected.
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { FaultProxy } from '@continuum/testing';
import { defer, fastBackoff, nextEvent, quietPeriod, record, startServer, track } from './helpers.js';

const heartbeat = { intervalMs: 100, timeoutMs: 200, message: 'ping', isPong: (d: string | Uint8Array) => d === 'pong' };

describe('raw heartbeat', () => {
  test("pongs are not dispatched; other messages are; a link that answers stays up", async () => {
    const server = await startServer({
      onMessage: (s, d) => {
        if (d === 'ping') s.send('pong');
        else s.send(`echo:${String(d)}`);
      },
    });
    const ws = track(new ReconnectingWebSocket(server.url, [], { heartbeat, backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    ws.send('hello');
    // Far past interval + timeout (300 ms): the pongs must have kept the link up.
    await vi.waitFor(() => expect(server.received.filter((d) => d === 'ping').length).toBeGreaterThanOrEqual(6), { timeout: 3000 });
    expect(log.of('message').map((e) => e.data)).toEqual(['echo:hello']);
    expect(log.count('close')).toBe(0);
    expect(log.count('error')).toBe(0);
    expect(server.sockets).toHaveLength(1);
  });

  test('pings are sent about every intervalMs', async () => {
    const times: number[] = [];
    const server = await startServer({
      onMessage: (s, d) => {
        if (d === 'ping') {
          times.push(Date.now());
          s.send('pong');
        }
      },
    });
    const ws = track(new ReconnectingWebSocket(server.url, [], { heartbeat, backoff: fastBackoff }));
    await nextEvent(ws, 'open');
    const opened = Date.now();
    await vi.waitFor(() => expect(times.length).toBeGreaterThanOrEqual(5), { timeout: 3000 });
    // 5 pings at 100 ms intervals: roughly 500 ms, not a burst and not a stall.
    expect(times[4] - opened).toBeGreaterThanOrEqual(450);
    expect(times[4] - opened).toBeLessThan(1200);
  });

  test('a server that stops answering is declared dead (HEARTBEAT_TIMEOUT) within interval + timeout, then the client reconnects', async () => {
    let answer = true;
    const server = await startServer({ onMessage: (s, d) => d === 'ping' && answer && s.send('pong') });
    const ws = track(new ReconnectingWebSocket(server.url, [], { heartbeat, backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    await vi.waitFor(() => expect(server.received.length).toBeGreaterThanOrEqual(2));
    answer = false;
    const silentSince = Date.now();
    await vi.waitFor(() => expect(log.count('close')).toBe(1), { timeout: 2000 });
    const detectedAfter = Date.now() - silentSince;
    expect(detectedAfter).toBeLessThanOrEqual(heartbeat.intervalMs + heartbeat.timeoutMs + 150);
    expect(log.of('error').map((e) => e.error?.code)).toContain('HEARTBEAT_TIMEOUT');
    answer = true;
    await vi.waitFor(() => expect(log.count('open')).toBe(2));
    expect(server.sockets).toHaveLength(2);
  });

  test('without a message, protocol pings (answered by the server itself) keep a quiet link up; a blackholed one is declared dead', async () => {
    const server = await startServer();
    const pings: number[] = [];
    server.wss.on('connection', (s) => s.on('ping', () => pings.push(Date.now())));
    const proxy = await FaultProxy.start({ target: server.url });
    defer(() => proxy.close());
    const ws = track(new ReconnectingWebSocket(proxy.url, [], { heartbeat: { intervalMs: 100, timeoutMs: 200 }, backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    // Nothing is sent either way but the pings and the server's automatic pongs.
    await vi.waitFor(() => expect(pings.length).toBeGreaterThanOrEqual(6), { timeout: 3000 });
    expect(log.count('close')).toBe(0);
    expect(server.received).toEqual([]);
    expect(log.count('message')).toBe(0);

    proxy.blackhole();
    await vi.waitFor(() => expect(log.count('close')).toBe(1), { timeout: 3000 });
    expect(log.of('error').map((e) => e.error?.code)).toContain('HEARTBEAT_TIMEOUT');
    // Only the heartbeat could tell: the server never closed its side.
    expect(server.sockets[0].readyState).toBe(server.sockets[0].OPEN);
  });
});
