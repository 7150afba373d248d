// addEventListener(type, listener, { once: true }), as on EventTarget: the listener
// runs for the first event only, and removeEventListener still removes it before that.
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { fastBackoff, nextEvent, startServer, track } from './helpers.js';

describe('addEventListener with { once: true }', () => {
  test('runs once, across reconnects, while a plain listener keeps running', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    let once = 0;
    let always = 0;
    ws.addEventListener('open', () => once++, { once: true });
    ws.addEventListener('open', () => always++);
    await nextEvent(ws, 'open');
    server.sockets[0].close(1001);
    await vi.waitFor(() => expect(always).toBe(2));
    expect(once).toBe(1);
  });

  test('removed before it fired: never runs; added again without once: runs every time', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    let calls = 0;
    const listener = () => calls++;
    ws.addEventListener('open', listener, { once: true });
    ws.removeEventListener('open', listener);
    await nextEvent(ws, 'open');
    expect(calls).toBe(0);
    ws.addEventListener('open', listener);
    server.sockets[0].close(1001);
    await nextEvent(ws, 'open');
    server.sockets[1].close(1001);
    await nextEvent(ws, 'open');
    expect(calls).toBe(2);
  });
});
