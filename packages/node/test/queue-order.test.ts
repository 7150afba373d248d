// Messages sent before the first open are queued and sent in order once open.
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { fastBackoff, freePort, nextEvent, startServer, track } from './helpers.js';

describe('messages queued before the first open', () => {
  test('text and binary (string, ArrayBuffer, typed array, DataView) keep their order', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    expect(ws.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    const expected: string[] = [];
    for (let i = 0; i < 50; i++) {
      switch (i % 4) {
        case 0:
          ws.send(`text ${i}`);
          expected.push(`text ${i}`);
          break;
        case 1:
          ws.send(new Uint8Array([i]).buffer);
          expected.push(`bin ${i}`);
          break;
        case 2:
          ws.send(new Uint8Array([0, i, 0]).subarray(1, 2));
          expected.push(`bin ${i}`);
          break;
        default:
          ws.send(new DataView(new Uint8Array([i]).buffer));
          expected.push(`bin ${i}`);
      }
    }
    // Sent from inside the open handler: after everything queued before it.
    ws.onopen = () => ws.send('from onopen');
    expected.push('from onopen');
    await nextEvent(ws, 'open');
    ws.send('after open');
    expected.push('after open');
    await vi.waitFor(() => expect(server.received).toHaveLength(expected.length));
    expect(server.received.map((d) => (typeof d === 'string' ? d : `bin ${d[0]}`))).toEqual(expected);
    expect(server.received.filter((d) => typeof d !== 'string').every((d) => (d as Buffer).length === 1)).toBe(true);
  });

  test('messages queued across failed attempts are all sent, in order, once a server appears', async () => {
    const port = await freePort();
    const ws = track(new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, [], { backoff: fastBackoff }));
    let closes = 0;
    ws.addEventListener('close', () => closes++);
    for (let i = 0; i < 10; i++) ws.send(`m${i}`);
    await vi.waitFor(() => expect(closes).toBeGreaterThanOrEqual(2));
    for (let i = 10; i < 20; i++) ws.send(`m${i}`);
    const server = await startServer({ port });
    await nextEvent(ws, 'open');
    await vi.waitFor(() => expect(server.received).toHaveLength(20));
    expect(server.received).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });
});
