// A server that accepts TCP but never answers the upgrade: the attempt times out,
// the app hears CONNECT_TIMEOUT, the client retries, and no timed-out socket lingers.
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { defer, fastBackoff, record, track } from './helpers.js';

async function silentServer() {
  const sockets: net.Socket[] = [];
  const open = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.push(socket);
    open.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => open.delete(socket));
    // Reads the upgrade request and never answers it.
    socket.resume();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  defer(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { url: `ws://127.0.0.1:${port}`, sockets, open };
}

describe('connect timeout', () => {
  test('an unanswered upgrade ends with an error event CONNECT_TIMEOUT and a retry', async () => {
    const server = await silentServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { connectTimeoutMs: 150, backoff: fastBackoff }));
    const log = record(ws);
    const started = Date.now();
    await vi.waitFor(() => expect(log.of('error').length).toBeGreaterThanOrEqual(1), { timeout: 2000 });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
    expect(log.of('error')[0].error?.code).toBe('CONNECT_TIMEOUT');
    expect(log.of('error')[0].error?.retryable).toBe(true);
    // The retry reached the server again.
    await vi.waitFor(() => expect(server.sockets.length).toBeGreaterThanOrEqual(2), { timeout: 2000 });
    expect(ws.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    expect(log.count('open')).toBe(0);
  });

  test('a timed-out attempt does not leave its socket open', async () => {
    const server = await silentServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { connectTimeoutMs: 100, maxRetries: 1, backoff: fastBackoff }));
    const log = record(ws);
    await vi.waitFor(() => expect(log.of('error').map((e) => e.error?.code)).toContain('RECONNECT_EXHAUSTED'), { timeout: 2000 });
    expect(server.sockets).toHaveLength(2);
    // Both timed-out sockets must be gone from the server's side, without waiting for close().
    await vi.waitFor(() => expect(server.open.size).toBe(0), { timeout: 1000 });
  });
});
