// send() resolves only when the server acknowledged the message; a nack rejects it
// with REJECTED_BY_SERVER; each promise settles exactly once.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('send() settles on the server ack', () => {
  it('resolves only on the ack, not when the frame was written', async () => {
    const { server, client } = start();
    const socket = await server.open();
    const a = track(client.send('a'));
    const b = track(client.send('b'));
    await flush();
    expect(socket.dataFrames()).toHaveLength(1);
    // (well inside the heartbeat deadline of pingMs + timeoutMs = 35 s)
    await vi.advanceTimersByTimeAsync(20_000);
    expect(a.status).toBe('pending');
    socket.ack(1);
    await flush();
    expect(a.status).toBe('resolved');
    expect(b.status).toBe('pending');
    socket.ack(2);
    await flush();
    expect(b.status).toBe('resolved');
    expect(client.stats().outboxMessages).toBe(0);
  });

  it('an ack piggybacked on a server DATA frame resolves too', async () => {
    const { server, client } = start();
    const socket = await server.open();
    const a = track(client.send('a'));
    await flush();
    socket.data(1, 1, ['reply']);
    await flush();
    expect(a.status).toBe('resolved');
  });

  it('a nack rejects that message with REJECTED_BY_SERVER; the cumulative ack after it does not resolve it', async () => {
    const { server, client } = start();
    const socket = await server.open();
    const a = track(client.send('a'));
    const b = track(client.send('b'));
    await flush();
    socket.nack(1, 'handler threw: nope');
    await flush();
    expect(a.status).toBe('rejected');
    expect(a.error.code).toBe('REJECTED_BY_SERVER');
    expect(a.error.message).toContain('nope');
    expect(b.status).toBe('pending');
    socket.ack(2);
    await flush();
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('resolved');
    expect(client.stats().outboxMessages).toBe(0);
  });

  it('an ack for a message never sent is a protocol error (close 4002), not a silent resolve', async () => {
    const { server, client, events } = start();
    const socket = await server.open();
    const a = track(client.send('a'));
    await flush();
    socket.ack(5);
    await flush();
    expect(socket.closedByClient?.code).toBe(4002);
    expect(events.errors.map((e) => e.code)).toEqual(['PROTOCOL_ERROR']);
    expect(a.status).toBe('pending');
    expect(client.state).toBe('reconnecting');
  });
});
