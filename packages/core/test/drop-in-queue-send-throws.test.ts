// The drop-in's queue loses nothing when a (custom) transport throws while the queue is
// written on open: the rest waits, in order, for the next socket, and the app is told.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconnectingWebSocket } from '../src/index.js';
import { FakeServer, flush } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('drop-in queue, a transport that throws on send', () => {
  it('keeps what was not written for the next socket, in order, and reports NOT_CONNECTED', async () => {
    const server = new FakeServer();
    const ws = new ReconnectingWebSocket('ws://plain.test/feed', [], { transport: server.transport, backoff: { maxMs: 10 } });
    const errors: string[] = [];
    ws.addEventListener('error', (e) => errors.push(e.error!.code));
    for (const m of ['a', 'b', 'c', 'd']) ws.send(m);
    const first = await server.next();
    const send = first.send.bind(first);
    let calls = 0;
    first.send = (data) => {
      if (++calls === 3) throw new Error('refused');
      send(data);
    };
    first.accept('');
    await flush();
    expect(first.sent).toEqual(['a', 'b']);
    expect(errors).toEqual(['NOT_CONNECTED']);
    expect(ws.bufferedAmount).toBe(6); // 'c' and 'd', counted at 3 bytes a character
    first.closeFromServer(1006, '', false);
    await vi.advanceTimersByTimeAsync(10);
    const second = await server.next();
    second.accept('');
    await flush();
    expect(second.sent).toEqual(['c', 'd']);
    expect(ws.bufferedAmount).toBe(0);
    ws.close();
  });
});
