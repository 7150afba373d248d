// binaryType decides how binary messages arrive, and survives reconnects.
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { fastBackoff, startServer, track } from './helpers.js';

const bytes = [1, 2, 3, 250, 251, 252, 253];

describe('binaryType', () => {
  test("defaults to 'nodebuffer' in Node: binary arrives as Buffer, text as string", async () => {
    const server = await startServer();
    server.wss.on('connection', (s) => {
      s.send(Buffer.from(bytes));
      s.send('text');
    });
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    const data: unknown[] = [];
    ws.onmessage = (e) => data.push(e.data);
    await vi.waitFor(() => expect(data).toHaveLength(2));
    expect(ws.binaryType).toBe('nodebuffer');
    expect(Buffer.isBuffer(data[0])).toBe(true);
    expect([...(data[0] as Buffer)]).toEqual(bytes);
    expect(data[1]).toBe('text');
  });

  test("'arraybuffer' persists across reconnects and each binary message is an ArrayBuffer of exactly its bytes", async () => {
    const server = await startServer();
    // Several frames in one TCP write, so the receiver slices them out of one chunk.
    server.wss.on('connection', (s) => {
      s.send('text first');
      s.send(Buffer.from(bytes));
      s.send(Buffer.from([9, 8, 7]));
    });
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    ws.binaryType = 'arraybuffer';
    const data: unknown[] = [];
    ws.onmessage = (e) => data.push(e.data);
    await vi.waitFor(() => expect(data).toHaveLength(3));
    server.sockets[0].close(1001, 'restart');
    await vi.waitFor(() => expect(data).toHaveLength(6));

    expect(ws.binaryType).toBe('arraybuffer');
    for (const offset of [0, 3]) {
      expect(data[offset]).toBe('text first');
      expect(data[offset + 1]).toBeInstanceOf(ArrayBuffer);
      expect(data[offset + 2]).toBeInstanceOf(ArrayBuffer);
      expect([...new Uint8Array(data[offset + 1] as ArrayBuffer)]).toEqual(bytes);
      expect([...new Uint8Array(data[offset + 2] as ArrayBuffer)]).toEqual([9, 8, 7]);
    }
  });

  test("switching back to 'nodebuffer' on a live socket takes effect for the next message", async () => {
    const server = await startServer({ onMessage: (s, d) => s.send(Buffer.from(String(d))) });
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    ws.binaryType = 'arraybuffer';
    const data: unknown[] = [];
    ws.onmessage = (e) => data.push(e.data);
    ws.send('a');
    await vi.waitFor(() => expect(data).toHaveLength(1));
    ws.binaryType = 'nodebuffer';
    ws.send('b');
    await vi.waitFor(() => expect(data).toHaveLength(2));
    expect(data[0]).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.isBuffer(data[1])).toBe(true);
    expect(String(data[1])).toBe('b');
  });
});
