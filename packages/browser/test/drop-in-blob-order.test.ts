// ReconnectingWebSocket (re-exported by @continuum/browser) keeps send() order when a
// Blob is among the messages, as a WebSocket does: the Blob is read asynchronously and
// what was sent after it waits. Bytes are copied at send(), so reusing a buffer is safe.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/browser';
import { FakeServer, flush } from '../../core/test/helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const show = (d: string | Uint8Array) => (typeof d === 'string' ? d : `bytes:${new TextDecoder().decode(d)}`);

async function settle() {
  for (let i = 0; i < 5; i++) {
    await vi.advanceTimersByTimeAsync(0);
    await flush();
  }
}

describe('ReconnectingWebSocket and Blobs', () => {
  it('sends in send() order around a Blob, open or queued', async () => {
    const server = new FakeServer();
    const ws = new ReconnectingWebSocket('ws://continuum.test/feed', [], { transport: server.transport });
    // Queued while connecting:
    ws.send('q1');
    ws.send(new Blob(['q2']));
    ws.send('q3');
    const socket = await server.next();
    socket.accept();
    // Sent while open, a Blob read still pending:
    const reused = new Uint8Array([111, 49]); // "o1"
    ws.send(reused);
    reused.set([120, 120]); // the app reuses its buffer: what was sent must not change
    ws.send(new Blob(['o2']));
    ws.send('o3');
    await settle();
    expect(socket.sent.map(show)).toEqual(['q1', 'bytes:q2', 'q3', 'bytes:o1', 'bytes:o2', 'o3']);
    // No Blob pending: straight through, same turn.
    ws.send('o4');
    expect(socket.sent.map(show).at(-1)).toBe('o4');
    ws.close();
    await settle();
  });
});
