// Zero configuration in Node never depends on a global WebSocket (reconnecting-websocket
// #135): with `globalThis.WebSocket` gone, and @continuum/node loaded afresh so nothing
// captured it at import time, both the Client and the drop-in connect and echo over `ws`.
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createServer } from '@continuum/server';
import { defer, nextEvent, startServer, track } from './helpers.js';

beforeEach(() => {
  vi.stubGlobal('WebSocket', undefined);
  vi.resetModules();
});
afterEach(() => {
  vi.unstubAllGlobals();
});

/** @continuum/node (and the core under it) evaluated while the global is stubbed. */
function load() {
  return import('@continuum/node');
}

describe('no global WebSocket', () => {
  test('new Client(url) connects and echoes', async () => {
    const { Client } = await load();
    expect(globalThis.WebSocket).toBeUndefined();
    const server = await createServer({ host: '127.0.0.1', port: 0 });
    defer(() => server.close({ timeoutMs: 100 }));
    server.on('session', (s) => s.on('message', (d) => s.send(d)));
    const client = new Client(server.url);
    defer(() => client.close());
    const reply = new Promise((resolve) => client.once('message', resolve));
    await client.send('ping ✓');
    expect(await reply).toBe('ping ✓');
  });

  test('new ReconnectingWebSocket(url) connects and echoes', async () => {
    const { ReconnectingWebSocket } = await load();
    expect(globalThis.WebSocket).toBeUndefined();
    const server = await startServer({ onMessage: (socket, data, isBinary) => socket.send(data, { binary: isBinary }) });
    const ws = track(new ReconnectingWebSocket(server.url));
    await nextEvent(ws, 'open');
    const reply = nextEvent(ws, 'message');
    ws.send('ping ✓');
    expect((await reply).data).toBe('ping ✓');
  });
});
