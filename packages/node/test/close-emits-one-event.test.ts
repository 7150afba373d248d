// close() emits exactly one close event, whatever state it is called in, and stops reconnecting.
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { defer, fastBackoff, freePort, nextEvent, quietPeriod, record, startServer, track } from './helpers.js';

describe('close() emits exactly one close event', () => {
  test('while open: one close event with the app code, the server sees it, no reconnect', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    const socket = await server.connection(0);
    const serverSaw = once(socket, 'close');
    ws.close(4321, 'bye');
    ws.close(); // a second call is a no-op
    const [code, reason] = await serverSaw;
    expect(code).toBe(4321);
    expect(String(reason)).toBe('bye');
    await vi.waitFor(() => expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED));
    await quietPeriod(150);
    expect(log.of('close')).toHaveLength(1);
    expect(log.of('close')[0]).toMatchObject({ code: 4321, reason: 'bye', target: ws });
    expect(server.sockets).toHaveLength(1);
  });

  test('while connecting, before any socket exists', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    const log = record(ws);
    ws.close();
    await quietPeriod(150);
    expect(log.of('close')).toHaveLength(1);
    expect(log.count('open')).toBe(0);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(server.sockets).toHaveLength(0);
  });

  test('while connecting, with the upgrade request in flight', async () => {
    const accepted: net.Socket[] = [];
    const tcp = net.createServer((s) => {
      accepted.push(s);
      s.on('error', () => {});
      s.resume();
    });
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    defer(() => {
      for (const s of accepted) s.destroy();
      tcp.close();
    });
    const port = (tcp.address() as net.AddressInfo).port;
    const ws = track(new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, [], { backoff: fastBackoff }));
    const log = record(ws);
    await vi.waitFor(() => expect(accepted).toHaveLength(1));
    ws.close();
    await vi.waitFor(() => expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED));
    await quietPeriod(150);
    expect(log.of('close')).toHaveLength(1);
    expect(log.count('error')).toBe(0);
    expect(accepted).toHaveLength(1);
  });

  test('while waiting to retry (server down)', async () => {
    const port = await freePort();
    const ws = track(new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, [], { backoff: { ...fastBackoff, initialMs: 50, maxMs: 100 } }));
    let attempts = 0;
    ws.addEventListener('close', () => attempts++);
    await vi.waitFor(() => expect(attempts).toBeGreaterThanOrEqual(2));
    const log = record(ws);
    ws.close();
    await quietPeriod(250);
    expect(log.of('close')).toHaveLength(1);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });

  test('from inside a close listener (server closed the socket): no second event, no reconnect', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    let inner = 0;
    ws.onclose = () => {
      inner++;
      ws.close();
    };
    server.sockets[0].close(1001, 'going away');
    await vi.waitFor(() => expect(log.count('close')).toBe(1));
    await quietPeriod(150);
    expect(inner).toBe(1);
    expect(log.of('close')).toHaveLength(1);
    expect(log.of('close')[0].code).toBe(1001);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(server.sockets).toHaveLength(1);
  });

  test('from inside the close listener of the app close(): still one event', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    await nextEvent(ws, 'open');
    let closes = 0;
    ws.onclose = () => {
      closes++;
      ws.close();
    };
    ws.close();
    await vi.waitFor(() => expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED));
    await quietPeriod(100);
    expect(closes).toBe(1);
    expect(server.sockets).toHaveLength(1);
  });

  test('readyState is CLOSED when the close event is dispatched (WHATWG order)', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    await nextEvent(ws, 'open');
    const states: number[] = [];
    ws.onclose = () => states.push(ws.readyState);
    ws.close();
    // WHATWG: close() moves to CLOSING at once; the close event comes later, in CLOSED.
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSING);
    await vi.waitFor(() => expect(states).toHaveLength(1));
    expect(states).toEqual([ReconnectingWebSocket.CLOSED]);
  });
});
