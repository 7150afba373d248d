// startClosed: nothing connects until reconnect().
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { fastBackoff, nextEvent, quietPeriod, record, startServer, track } from './helpers.js';

describe('startClosed', () => {
  test('stays CLOSED without connecting, then reconnect() opens and flushes what was queued', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { startClosed: true, backoff: fastBackoff }));
    const log = record(ws);
    ws.send('queued while closed');
    await quietPeriod(100);
    expect(server.sockets).toHaveLength(0);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(log.events).toEqual([]);

    ws.reconnect();
    expect(ws.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    await nextEvent(ws, 'open');
    expect(ws.readyState).toBe(ReconnectingWebSocket.OPEN);
    await vi.waitFor(() => expect(server.received).toEqual(['queued while closed']));
    expect(server.sockets).toHaveLength(1);
  });
});
