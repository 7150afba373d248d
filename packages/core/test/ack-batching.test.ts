// Acks for server messages are batched: one ACK when 64 are unacknowledged (within
// the turn), otherwise 25 ms after the first; and they ride on outgoing DATA frames.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const many = (n: number, from = 1) => Array.from({ length: n }, (_, i) => `m${from + i}`);

describe('acks', () => {
  it('a few messages: one ACK 25 ms after the first, not before', async () => {
    const { server } = start();
    const socket = await server.open();
    socket.data(1, 0, ['a']);
    await flush();
    await vi.advanceTimersByTimeAsync(10);
    socket.data(2, 0, ['b']);
    await flush();
    expect(socket.acks()).toEqual([]);
    await vi.advanceTimersByTimeAsync(14);
    expect(socket.acks()).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.acks()).toEqual([2]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(socket.acks()).toEqual([2]);
  });

  it('64 unacknowledged messages: an ACK within the same turn, no timer needed', async () => {
    const { server } = start();
    const socket = await server.open();
    socket.data(1, 0, many(64));
    await flush();
    expect(socket.acks()).toEqual([64]);
  });

  it('63 messages wait for the 25 ms timer', async () => {
    const { server } = start();
    const socket = await server.open();
    socket.data(1, 0, many(63));
    await flush();
    expect(socket.acks()).toEqual([]);
    await vi.advanceTimersByTimeAsync(25);
    expect(socket.acks()).toEqual([63]);
  });

  it('under load: far fewer ACK frames than messages', async () => {
    const { server } = start();
    const socket = await server.open();
    for (let i = 1; i <= 640; i++) {
      socket.data(i, 0, [`m${i}`]);
      if (i % 32 === 0) await flush();
    }
    await vi.advanceTimersByTimeAsync(25);
    const acks = socket.acks();
    expect(acks.at(-1)).toBe(640);
    expect(acks.length).toBeLessThanOrEqual(11);
  });

  it('piggybacks on an outgoing DATA frame, and then sends no separate ACK', async () => {
    const { server, client } = start();
    const socket = await server.open();
    socket.data(1, 0, ['a', 'b', 'c']);
    void client.send('reply');
    await flush();
    expect(socket.dataFrames()).toMatchObject([{ kind: 1, ack: 3, firstSeq: 1, entries: [{ data: 'reply' }] }]);
    await vi.advanceTimersByTimeAsync(100);
    expect(socket.acks()).toEqual([]);
  });

  it('sends no ACK when nothing was received', async () => {
    const { server, client } = start();
    const socket = await server.open();
    void client.send('x');
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(socket.acks()).toEqual([]);
    expect(socket.dataFrames()).toMatchObject([{ ack: 0 }]);
  });
});
