// A skipped sequence number is a protocol error: the client closes with 4002 and
// reconnects; the resume hello asks for everything after the last delivered message.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('sequence skip', () => {
  it('closes with 4002, reconnects, and resumes from the last delivered seq', async () => {
    const { server, client, events, messages } = start();
    const socket = await server.open({ id: 'sess', token: 'tok' });
    socket.data(1, 0, ['a', 'b']);
    expect(() => socket.data(4, 0, ['d'])).not.toThrow();
    await flush();
    expect(messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(socket.closedByClient?.code).toBe(4002);
    expect(events.errors.map((e) => e.code)).toEqual(['PROTOCOL_ERROR']);
    expect(events.closes).toMatchObject([{ code: 4002, willReconnect: true }]);
    expect(client.state).toBe('reconnecting');
    expect(events.retries).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    const next = await server.next();
    next.accept();
    await flush();
    expect(next.hello()).toEqual({ t: 'hello', v: 1, resume: { id: 'sess', token: 'tok', recv: 2 } });
  });

  it('frames arriving on the dropped socket are ignored', async () => {
    const { server, messages } = start();
    const socket = await server.open();
    socket.data(2, 0, ['skip']);
    socket.data(1, 0, ['late']);
    await flush();
    expect(messages).toEqual([]);
  });
});
