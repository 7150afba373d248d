// send() takes a Blob (a File from an <input>, a canvas export): it is read
// asynchronously, and every message sent after it waits, so the server gets them in
// send() order. A Blob that cannot be read rejects that send only.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Client } from '@continuum/browser';
import { FakeServer, flush, track } from '../../core/test/helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const text = (data: string | Uint8Array) => (typeof data === 'string' ? data : `bytes:${new TextDecoder().decode(data)}`);

/** Every message the client wrote on the socket, in order. */
function entries(server: FakeServer): string[] {
  return server.last.dataFrames().flatMap((f) => (f.kind === 1 ? f.entries.map((e) => text(e.data)) : []));
}

/** Lets a Blob's arrayBuffer() (a macrotask in Node) and the promise chains settle. */
async function settle() {
  for (let i = 0; i < 5; i++) {
    await vi.advanceTimersByTimeAsync(0);
    await flush();
  }
}

describe('Blob input', () => {
  it('keeps send() order around a Blob, and each send settles on its ack', async () => {
    const server = new FakeServer();
    const client = new Client('ws://continuum.test/live', { transport: server.transport });
    const socket = await server.open();
    const sends = [
      track(client.send('before')),
      track(client.send(new Blob(['a blob']))),
      track(client.send('after 1')),
      track(client.send(new Uint8Array([104, 105]))),
    ];
    await settle();
    expect(entries(server)).toEqual(['before', 'bytes:a blob', 'after 1', 'bytes:hi']);
    socket.ack(4);
    await flush();
    expect(sends.map((s) => s.status)).toEqual(['resolved', 'resolved', 'resolved', 'resolved']);
    // With no Blob pending, a send goes straight to the core again (same turn).
    track(client.send('later'));
    await flush();
    expect(entries(server).at(-1)).toBe('later');
    await client.close();
  });

  it('an unreadable Blob rejects that send with a ContinuumError; the others go out', async () => {
    const server = new FakeServer();
    const client = new Client('ws://continuum.test/live', { transport: server.transport });
    await server.open();
    class Unreadable extends Blob {
      override arrayBuffer(): Promise<ArrayBuffer> {
        return Promise.reject(new Error('NotReadableError'));
      }
    }
    const bad = track(client.send(new Unreadable(['x'])));
    const good = track(client.send('still sent'));
    await settle();
    expect(bad.status).toBe('rejected');
    expect(bad.error).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(entries(server)).toEqual(['still sent']);
    expect(good.status).toBe('pending'); // waits for its ack
    await client.close();
  });

  it('a send after close() behind a Blob rejects CLIENT_CLOSED', async () => {
    const server = new FakeServer();
    const client = new Client('ws://continuum.test/live', { transport: server.transport });
    await server.open();
    const blob = track(client.send(new Blob(['late'])));
    void client.close();
    await settle();
    expect(blob.status).toBe('rejected');
    expect(blob.error).toMatchObject({ code: 'CLIENT_CLOSED' });
  });
});
