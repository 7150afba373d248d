// No error ever escapes as an uncaught exception or unhandled rejection, even with no
// error listener attached (partykit #912: a connect-timeout error crashed Node).
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { defer, fastBackoff, freePort, nextEvent, startServer, track } from './helpers.js';

function watchProcess() {
  const seen: unknown[] = [];
  const onError = (e: unknown) => seen.push(e);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  defer(() => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
  });
  return seen;
}

describe('no unhandled error crashes Node', () => {
  test('server down (ECONNREFUSED), no listeners at all, many attempts', async () => {
    const seen = watchProcess();
    const port = await freePort();
    let attempts = 0;
    const ws = track(new ReconnectingWebSocket(() => (attempts++, `ws://127.0.0.1:${port}`), [], { backoff: fastBackoff }));
    await vi.waitFor(() => expect(attempts).toBeGreaterThanOrEqual(8), { timeout: 3000 });
    ws.close();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
  });

  test('connect timeouts, refused upgrades (HTTP 503) and resets, no listeners', async () => {
    const seen = watchProcess();
    const accepted: net.Socket[] = [];
    // Accepts TCP and never answers: connect timeouts.
    const silent = net.createServer((s) => (accepted.push(s), s.on('error', () => {}), s.resume()));
    // Answers the upgrade with 503.
    const refusing = net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    });
    // Resets the connection as soon as the request arrives.
    const resetting = net.createServer((s) => {
      s.on('error', () => {});
      s.once('data', () => s.resetAndDestroy());
    });
    const ports: number[] = [];
    for (const srv of [silent, refusing, resetting]) {
      srv.listen(0, '127.0.0.1');
      await once(srv, 'listening');
      ports.push((srv.address() as net.AddressInfo).port);
      defer(() => {
        for (const s of accepted) s.destroy();
        srv.close();
      });
    }
    let attempts = 0;
    const sockets = ports.map((port) =>
      track(new ReconnectingWebSocket(() => (attempts++, `ws://127.0.0.1:${port}`), [], { connectTimeoutMs: 50, backoff: fastBackoff })),
    );
    await vi.waitFor(() => expect(attempts).toBeGreaterThanOrEqual(12), { timeout: 3000 });
    for (const ws of sockets) ws.close();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
  });

  test('close() with a code the WebSocket API forbids (1006) neither crashes nor leaves the client half-closed', async () => {
    const seen = watchProcess();
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    await nextEvent(ws, 'open');
    // WHATWG close() throws InvalidAccessError synchronously for 1006; whether this
    // drop-in throws or not, nothing may surface later as an unhandled rejection.
    let threw = false;
    try {
      ws.close(1006);
    } catch {
      threw = true;
    }
    if (threw) {
      expect(ws.readyState).toBe(ReconnectingWebSocket.OPEN);
    } else {
      // Accepted: then it must really close, not stay CLOSING forever.
      await vi.waitFor(() => expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED), { timeout: 2000 });
    }
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
  });
});
