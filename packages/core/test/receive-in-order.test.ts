// Server DATA is delivered in order with meta.seq; duplicates (seq <= last delivered,
// e.g. from a replay) are dropped silently and counted.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('receiving', () => {
  it('delivers DATA entries in order with their seq; text as string, binary as Uint8Array', async () => {
    const { server, messages } = start();
    const socket = await server.open();
    socket.data(1, 0, ['a', 'b']);
    socket.data(3, 0, [new Uint8Array([1, 2, 3])]);
    socket.data(4, 0, ['d']);
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(messages[0].data).toBe('a');
    expect(messages[1].data).toBe('b');
    expect(messages[2].data).toBeInstanceOf(Uint8Array);
    expect(Array.from(messages[2].data as Uint8Array)).toEqual([1, 2, 3]);
    expect(messages[3].data).toBe('d');
  });

  it('drops duplicates silently and counts them in stats().duplicatesDropped', async () => {
    const { server, client, events, messages } = start();
    const socket = await server.open();
    socket.data(1, 0, ['a', 'b']);
    socket.data(1, 0, ['a']); // duplicate
    socket.data(2, 0, ['b', 'c']); // b duplicate, c new
    await flush();
    expect(messages.map((m) => [m.seq, m.data])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(client.stats().duplicatesDropped).toBe(2);
    expect(client.stats().messagesIn).toBe(3);
    expect(events.errors).toEqual([]);
    expect(events.closes).toEqual([]);
    expect(socket.closedByClient).toBeUndefined();
    expect(client.state).toBe('open');
  });

  it('a message listener registered once receives each message once', async () => {
    const { server, client } = start({ backoff: { maxMs: 10 } });
    const seen: number[] = [];
    client.on('message', (_d, meta) => seen.push(meta.seq));
    const first = await server.open();
    first.data(1, 0, ['a']);
    first.closeFromServer(1006, '', false);
    await vi.advanceTimersByTimeAsync(10);
    const second = await server.open({ resumed: true });
    second.data(1, 0, ['a']); // replayed duplicate
    second.data(2, 0, ['b']);
    expect(seen).toEqual([1, 2]);
  });
});
