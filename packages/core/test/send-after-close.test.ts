// After close(), send() returns a promise rejected with CLIENT_CLOSED: a rejection,
// not a throw. Messages pending at close() reject CLIENT_CLOSED too.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('send after close()', () => {
  it('rejects CLIENT_CLOSED instead of throwing', async () => {
    const { server, client } = start();
    const socket = await server.open();
    await client.close();
    let promise: Promise<void> | undefined;
    expect(() => {
      promise = client.send('late');
    }).not.toThrow();
    const late = track(promise!);
    await flush();
    expect(late.status).toBe('rejected');
    expect(late.error.code).toBe('CLIENT_CLOSED');
    // Only the hello, and the bye that tells the server the session will not be resumed.
    expect(socket.controls().map((c) => c.t)).toEqual(['hello', 'bye']);
    expect(socket.sentAfterClose).toHaveLength(0);
  });

  it('also right after close() was called, before it resolved', async () => {
    const { server, client } = start();
    await server.open();
    const closing = client.close();
    const late = track(client.send('late'));
    await closing;
    await flush();
    expect(late.status).toBe('rejected');
    expect(late.error.code).toBe('CLIENT_CLOSED');
  });

  it('rejects what was still waiting for its ack with CLIENT_CLOSED', async () => {
    const { server, client } = start();
    await server.open();
    const pending = track(client.send('unacked'));
    await flush();
    await client.close();
    await flush();
    expect(pending.status).toBe('rejected');
    expect(pending.error.code).toBe('CLIENT_CLOSED');
  });

  it('also when the client never connected', async () => {
    const { client } = start();
    const queued = track(client.send('queued'));
    await client.close();
    const late = track(client.send('late'));
    await flush();
    expect([queued.status, late.status]).toEqual(['rejected', 'rejected']);
    expect([queued.error.code, late.error.code]).toEqual(['CLIENT_CLOSED', 'CLIENT_CLOSED']);
  });
});
