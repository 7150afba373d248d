// Getters of the WHATWG interface answer before the socket opened, like `new WebSocket(url)`.
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { fastBackoff, nextEvent, startServer, track } from './helpers.js';

describe('getters before open', () => {
  test('the four constants are on the class and on the instance, with the WHATWG values', () => {
    expect([ReconnectingWebSocket.CONNECTING, ReconnectingWebSocket.OPEN, ReconnectingWebSocket.CLOSING, ReconnectingWebSocket.CLOSED]).toEqual([0, 1, 2, 3]);
    const ws = track(new ReconnectingWebSocket('ws://127.0.0.1:9', [], { startClosed: true }));
    expect([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED]).toEqual([0, 1, 2, 3]);
  });

  test('url is the constructor URL before open, as with `new WebSocket(url).url`', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    expect(ws.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    expect(ws.url).toBe(server.url);
  });

  test('readyState CONNECTING, protocol, extensions, bufferedAmount and binaryType right after construction', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    expect(ws.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    expect(ws.protocol).toBe('');
    expect(ws.extensions).toBe('');
    expect(ws.bufferedAmount).toBe(0);
    expect(ws.binaryType).toBe('nodebuffer');
    await nextEvent(ws, 'open');
    expect(ws.readyState).toBe(ReconnectingWebSocket.OPEN);
    expect(ws.url).toBe(server.url);
  });

  test('bufferedAmount counts messages queued before open', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    ws.send(new Uint8Array(10));
    expect(ws.bufferedAmount).toBe(10);
    ws.send('héllo');
    // Strings are counted at up to 3 bytes a character: at least their UTF-8 length.
    expect(ws.bufferedAmount).toBeGreaterThanOrEqual(10 + Buffer.byteLength('héllo'));
    await nextEvent(ws, 'open');
    await vi.waitFor(() => expect(server.received).toHaveLength(2));
    await vi.waitFor(() => expect(ws.bufferedAmount).toBe(0));
  });

  test('startClosed: readyState CLOSED and no connection', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { startClosed: true }));
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
    expect(ws.protocol).toBe('');
    expect(ws.bufferedAmount).toBe(0);
  });
});
