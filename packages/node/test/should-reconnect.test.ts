// The close-code policy: terminal codes stop (reconnecting-websocket #78, partykit #409),
// and shouldReconnect(close) overrides it either way.
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket, type CloseInfo } from '@continuum/node';
import { fastBackoff, nextEvent, quietPeriod, record, startServer, track } from './helpers.js';

describe('close-code policy', () => {
  test('1008 (policy violation) from the server is terminal: CLOSED, no reconnect', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    server.sockets[0].close(1008, 'banned');
    await vi.waitFor(() => expect(log.count('close')).toBe(1));
    expect(log.of('close')[0]).toMatchObject({ code: 1008, reason: 'banned', wasClean: true });
    await quietPeriod(150);
    expect(server.sockets).toHaveLength(1);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(log.count('open')).toBe(1);
  });

  test('1001 (going away) reconnects by default', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    await nextEvent(ws, 'open');
    server.sockets[0].close(1001, 'restart');
    await nextEvent(ws, 'open');
    expect(server.sockets).toHaveLength(2);
  });

  test('shouldReconnect returning true overrides a terminal code; it sees code, reason and wasClean', async () => {
    const server = await startServer();
    const asked: CloseInfo[] = [];
    const ws = track(
      new ReconnectingWebSocket(server.url, [], {
        backoff: fastBackoff,
        shouldReconnect: (close) => {
          asked.push(close);
          return true;
        },
      }),
    );
    await nextEvent(ws, 'open');
    server.sockets[0].close(1008, 'banned');
    await nextEvent(ws, 'open');
    expect(server.sockets).toHaveLength(2);
    expect(asked).toEqual([{ code: 1008, reason: 'banned', wasClean: true }]);
  });

  test('shouldReconnect returning false stops on a code that would reconnect', async () => {
    const server = await startServer();
    const ws = track(
      new ReconnectingWebSocket(server.url, [], {
        backoff: fastBackoff,
        shouldReconnect: ({ code }) => (code === 4100 ? false : undefined),
      }),
    );
    const log = record(ws);
    await nextEvent(ws, 'open');
    server.sockets[0].close(1001);
    await nextEvent(ws, 'open');
    server.sockets[1].close(4100, 'stop now');
    await vi.waitFor(() => expect(log.count('close')).toBe(2));
    await quietPeriod(150);
    expect(server.sockets).toHaveLength(2);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });

  test('shouldReconnect returning undefined keeps the default policy', async () => {
    const server = await startServer();
    let calls = 0;
    const ws = track(
      new ReconnectingWebSocket(server.url, [], {
        backoff: fastBackoff,
        shouldReconnect: () => {
          calls++;
          return undefined;
        },
      }),
    );
    await nextEvent(ws, 'open');
    server.sockets[0].close(1008);
    await vi.waitFor(() => expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED));
    await quietPeriod(100);
    expect(calls).toBe(1);
    expect(server.sockets).toHaveLength(1);
  });
});
