// reconnect() always works: after close(), after retries ran out, and on a live socket
// (reconnecting-websocket #60/#86, partykit #252: a lock flag left reconnect() dead).
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import type { WebSocket as ServerSocket } from 'ws';
import { fastBackoff, freePort, nextEvent, record, startServer, track } from './helpers.js';

describe('reconnect()', () => {
  test('after close(): connects again, and send() works again', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    await nextEvent(ws, 'open');
    ws.close();
    await vi.waitFor(() => expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED));
    const errors: string[] = [];
    ws.onerror = (e) => errors.push(e.error!.code);
    ws.send('after close');
    expect(errors).toEqual(['CLIENT_CLOSED']);

    ws.reconnect();
    await nextEvent(ws, 'open');
    expect(ws.readyState).toBe(ReconnectingWebSocket.OPEN);
    ws.send('after reconnect');
    await vi.waitFor(() => expect(server.received).toEqual(['after reconnect']));
    expect(server.sockets).toHaveLength(2);
  });

  test('twice in a row after close(), each time', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    for (let round = 1; round <= 3; round++) {
      await nextEvent(ws, 'open');
      ws.close();
      ws.reconnect();
    }
    await nextEvent(ws, 'open');
    expect(server.sockets).toHaveLength(4);
    expect(ws.readyState).toBe(ReconnectingWebSocket.OPEN);
  });

  test('after retries are exhausted: connects once a server is there', async () => {
    const port = await freePort();
    const ws = track(new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, [], { maxRetries: 1, backoff: fastBackoff }));
    const log = record(ws);
    await vi.waitFor(() => expect(log.of('error').map((e) => e.error?.code)).toContain('RECONNECT_EXHAUSTED'));
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
    ws.send('queued after giving up');

    const server = await startServer({ port });
    ws.reconnect();
    await nextEvent(ws, 'open');
    await vi.waitFor(() => expect(server.received).toEqual(['queued after giving up']));
  });

  test('after exhausted retries, the retry budget is whole again', async () => {
    const port = await freePort();
    let attempts = 0;
    const ws = track(
      new ReconnectingWebSocket(() => (attempts++, `ws://127.0.0.1:${port}`), [], { maxRetries: 2, backoff: fastBackoff }),
    );
    const log = record(ws);
    const exhausted = () => log.of('error').filter((e) => e.error?.code === 'RECONNECT_EXHAUSTED').length;
    await vi.waitFor(() => expect(exhausted()).toBe(1));
    expect(attempts).toBe(3);
    ws.reconnect();
    await vi.waitFor(() => expect(exhausted()).toBe(2));
    expect(attempts).toBe(6);
  });

  test('on a live socket: drops it and opens a new one', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    ws.reconnect();
    await vi.waitFor(() => expect(log.count('open')).toBe(2));
    expect(server.sockets).toHaveLength(2);
    expect(log.count('close')).toBe(1);
    await vi.waitFor(() => expect(server.sockets[0].readyState).toBe(server.sockets[0].CLOSED));
  });

  test('on a live socket: messages sent right after it reach the new socket, all, once, in order (partykit #403)', async () => {
    const bySocket = new Map<ServerSocket, unknown[]>();
    const server = await startServer({ onMessage: (socket, data) => bySocket.set(socket, [...(bySocket.get(socket) ?? []), data]) });
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    await nextEvent(ws, 'open');
    const reopened = nextEvent(ws, 'open');
    ws.reconnect();
    const sent = ['m1', 'm2', 'm3', 'm4', 'm5'];
    for (const m of sent) ws.send(m);
    await reopened;
    await vi.waitFor(() => expect(server.received).toHaveLength(5));
    const [old, fresh] = server.sockets;
    expect(bySocket.get(fresh!)).toEqual(sent);
    await vi.waitFor(() => expect(ws.bufferedAmount).toBe(0));
    // Once the old socket is gone nothing more can arrive on it: it got none of the five.
    await vi.waitFor(() => expect(old!.readyState).toBe(old!.CLOSED));
    expect(bySocket.get(old!)).toBeUndefined();
    expect(server.received).toEqual(sent);
    expect(server.sockets).toHaveLength(2);
  });
});
