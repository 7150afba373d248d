// Through a fault proxy, a blackholed link (no FIN, no RST, bytes swallowed) is
// detected by the raw heartbeat, and the client reconnects once the link heals
// (reconnecting-websocket #98: never noticed in Node without a heartbeat).
import { describe, expect, test, vi } from 'vitest';
import { FaultProxy } from '@continuum/testing';
import { ReconnectingWebSocket } from '@continuum/node';
import { defer, fastBackoff, nextEvent, record, startServer, track } from './helpers.js';

const heartbeat = { intervalMs: 100, timeoutMs: 200, message: 'ping', isPong: (d: string | Uint8Array) => d === 'pong' };

describe('heartbeat through a blackholed link', () => {
  test('detected within interval + timeout (+ slack), reconnects after restore()', async () => {
    const server = await startServer({ onMessage: (s, d) => (d === 'ping' ? s.send('pong') : s.send(`echo:${String(d)}`)) });
    const proxy = await FaultProxy.start({ target: server.url });
    defer(() => proxy.close());
    const ws = track(new ReconnectingWebSocket(proxy.url, [], { heartbeat, connectTimeoutMs: 300, backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    // The link is healthy first: pongs flow and nothing is dispatched.
    await vi.waitFor(() => expect(server.received.filter((d) => d === 'ping').length).toBeGreaterThanOrEqual(3));
    expect(log.count('close')).toBe(0);

    proxy.blackhole();
    const since = Date.now();
    await vi.waitFor(() => expect(log.count('close')).toBe(1), { timeout: 3000 });
    const detectedAfter = Date.now() - since;
    expect(detectedAfter).toBeLessThanOrEqual(heartbeat.intervalMs + heartbeat.timeoutMs + 200);
    expect(log.of('error').map((e) => e.error?.code)).toContain('HEARTBEAT_TIMEOUT');
    expect(ws.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    // Precondition: the server never closed its side; only the heartbeat could tell.
    expect(server.sockets[0].readyState).toBe(server.sockets[0].OPEN);

    proxy.restore();
    await vi.waitFor(() => expect(log.count('open')).toBe(2), { timeout: 3000 });
    ws.send('after heal');
    await vi.waitFor(() => expect(log.of('message').map((e) => e.data)).toContain('echo:after heal'));
    expect(log.of('message').map((e) => e.data)).not.toContain('pong');
  });
});
