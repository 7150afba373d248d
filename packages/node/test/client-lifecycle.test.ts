// Client against real sockets: refused upgrades, stalled servers, and many
// connect/drop cycles that must leave nothing behind after close().
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, type ContinuumServer } from '@continuum/server';
import { FaultProxy } from '@continuum/testing';
import { Client, type ContinuumError, type RetryEvent } from '@continuum/node';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function listen(server: Server | TcpServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('Client on real sockets', () => {
  it('a refused upgrade surfaces its HTTP status and is retried with growing delays, not in a hot loop', async () => {
    let upgrades = 0;
    const http = createHttpServer((_, res) => res.end());
    http.on('upgrade', (_req, socket: Socket) => {
      upgrades++;
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    });
    const port = await listen(http);
    cleanups.push(() => new Promise((r) => http.close(r)));
    const client = new Client(`ws://127.0.0.1:${port}`, { backoff: { initialMs: 50, maxMs: 400, spreadMs: 50 } });
    cleanups.push(() => client.close());
    const errors: ContinuumError[] = [];
    const retries: RetryEvent[] = [];
    client.on('error', (e) => errors.push(e));
    client.on('retry', (e) => retries.push(e));
    await vi.waitFor(() => expect(retries.length).toBeGreaterThanOrEqual(4), { timeout: 5000 });
    const refused = errors.find((e) => e.code === 'HANDSHAKE_REFUSED');
    expect(refused?.status).toBe(401);
    // Exponential: the schedule's steps grow (full jitter draws below them, so compare the caps).
    expect(retries.map((r) => r.attempt).slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(upgrades).toBeLessThanOrEqual(retries.length + 1);
  });

  it('shouldReconnect sees the HTTP status of a refused upgrade, so an app can stop on a 403 or 404', async () => {
    const http = createHttpServer((_, res) => res.end());
    http.on('upgrade', (_req, socket: Socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
    const port = await listen(http);
    cleanups.push(() => new Promise((r) => http.close(r)));
    const seen: (number | undefined)[] = [];
    const client = new Client(`ws://127.0.0.1:${port}/wrong-path`, {
      backoff: { maxMs: 20 },
      shouldReconnect: ({ status }) => {
        seen.push(status);
        return status === 403 || status === 404 ? false : undefined;
      },
    });
    cleanups.push(() => client.close());
    client.on('error', () => {});
    await vi.waitFor(() => expect(client.state).toBe('closed'));
    expect(seen).toEqual([404]);
    expect(client.stats().attempts).toBe(1);
  });

  it('a server that accepts TCP and never answers the upgrade → CONNECT_TIMEOUT, and the socket is not leaked', async () => {
    const sockets = new Set<Socket>();
    const tcp = createTcpServer((socket) => {
      sockets.add(socket);
      socket.resume(); // read, so the client's FIN is seen
      socket.on('close', () => sockets.delete(socket));
    });
    const port = await listen(tcp);
    cleanups.push(() => new Promise((r) => { for (const s of sockets) s.destroy(); tcp.close(r); }));
    const client = new Client(`ws://127.0.0.1:${port}`, { connectTimeoutMs: 200, maxRetries: 0 });
    cleanups.push(() => client.close());
    const error = await new Promise<ContinuumError>((resolve) => client.on('error', resolve));
    expect(error.code).toBe('CONNECT_TIMEOUT');
    await vi.waitFor(() => expect(sockets.size).toBe(0));
  });

  it('50 connect/drop cycles, then close(): no timer, socket or listener is left', async () => {
    const server: ContinuumServer = await createServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => server.close());
    const proxy = await FaultProxy.start({ target: server.url });
    cleanups.push(() => proxy.close());
    server.on('session', (s) => s.on('message', (d) => s.send(d)));
    // The server keeps each session for its TTL (its own timers), so count the
    // client's timers through its clock, and its sockets through the proxy.
    const live = new Set<unknown>();
    const clock = {
      now: () => Date.now(),
      setTimeout: (fn: () => void, ms: number) => {
        const handle = setTimeout(() => {
          live.delete(handle);
          fn();
        }, ms);
        live.add(handle);
        return handle;
      },
      clearTimeout: (handle: unknown) => {
        live.delete(handle);
        clearTimeout(handle as ReturnType<typeof setTimeout>);
      },
    };
    const client = new Client(proxy.url, { backoff: { initialMs: 1, maxMs: 5 }, clock });
    let opens = 0;
    client.on('open', () => opens++);
    for (let i = 0; i < 50; i++) {
      await vi.waitFor(() => expect(client.state).toBe('open'));
      await client.send(`m${i}`);
      const target = opens;
      if (i % 2) proxy.cut();
      else proxy.reset();
      await vi.waitFor(() => expect(opens).toBeGreaterThan(target));
    }
    await vi.waitFor(() => expect(client.state).toBe('open'));
    await client.close();
    expect(client.state).toBe('closed');
    // Let the proxy and server notice the last socket closing.
    await vi.waitFor(() => expect(proxy.connections).toBe(0));
    expect(live.size, 'client timers left after close()').toBe(0);
    expect(client.stats().reconnects).toBe(50);
    expect(client.listenerCount('message')).toBe(0);
  });
});
