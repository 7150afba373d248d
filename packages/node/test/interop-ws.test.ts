// Interop with a plain `ws` server that has no Continuum code: echo of text and
// binary, and recovery across a server restart on the same port.
import { describe, expect, test, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { ReconnectingWebSocket } from '@continuum/node';
import { defer, fastBackoff, nextEvent, record, startServer, track } from './helpers.js';

function echo(socket: import('ws').WebSocket, data: string | Buffer, isBinary: boolean) {
  socket.send(data, { binary: isBinary });
}

function roundTrip(ws: ReconnectingWebSocket, data: string | Uint8Array | ArrayBuffer): Promise<unknown> {
  const reply = nextEvent(ws, 'message').then((e) => e.data);
  ws.send(data);
  return reply;
}

describe('interop: plain ws server', () => {
  test('text and binary echo, large and small, in order', async () => {
    const server = await startServer({ onMessage: echo });
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    await nextEvent(ws, 'open');
    expect(await roundTrip(ws, 'hello ✓')).toBe('hello ✓');
    const small = await roundTrip(ws, new Uint8Array([1, 2, 3]));
    expect(Buffer.isBuffer(small)).toBe(true);
    expect([...(small as Buffer)]).toEqual([1, 2, 3]);
    const big = new Uint8Array(256 * 1024).map((_, i) => i % 251);
    const bigEcho = (await roundTrip(ws, big)) as Buffer;
    expect(bigEcho.length).toBe(big.length);
    expect(Buffer.compare(bigEcho, Buffer.from(big))).toBe(0);

    const got: unknown[] = [];
    ws.addEventListener('message', (e) => got.push(e.data));
    for (let i = 0; i < 100; i++) ws.send(`n${i}`);
    await vi.waitFor(() => expect(got).toHaveLength(100));
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `n${i}`));
  });

  test('the server process goes away (all sockets terminated, listener closed) and comes back on the same port', async () => {
    const first = await startServer({ onMessage: echo });
    const port = first.port;
    const ws = track(new ReconnectingWebSocket(first.url, [], { backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    expect(await roundTrip(ws, 'before')).toBe('before');

    await first.close();
    await vi.waitFor(() => expect(log.count('close')).toBeGreaterThanOrEqual(2)); // the drop, then a refused retry
    expect(log.of('close')[0].code).toBe(1006);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CONNECTING);

    ws.send('sent while down');
    const second = await startServer({ port, onMessage: echo });
    const queuedEcho = nextEvent(ws, 'message');
    await nextEvent(ws, 'open');
    expect((await queuedEcho).data).toBe('sent while down');
    const bin = (await roundTrip(ws, new Uint8Array([7, 7, 7]))) as Buffer;
    expect([...bin]).toEqual([7, 7, 7]);
    expect(second.sockets).toHaveLength(1);
    expect(second.received).toEqual(['sent while down', Buffer.from([7, 7, 7])]);
  });

  test('a graceful server shutdown (close 1001 to every client) is followed by a reconnect', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    defer(() => new Promise((r) => wss.close(r)));
    wss.on('connection', (s) => s.on('message', (d, b) => s.send(d, { binary: b })));
    const url = `ws://127.0.0.1:${(wss.address() as { port: number }).port}`;
    const ws = track(new ReconnectingWebSocket(url, [], { backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    for (const client of wss.clients) client.close(1001, 'server shutting down');
    await vi.waitFor(() => expect(log.count('open')).toBe(2));
    expect(log.of('close')[0]).toMatchObject({ code: 1001, reason: 'server shutting down' });
    expect(await roundTrip(ws, 'again')).toBe('again');
  });
});
