// close() from any state leaves nothing behind: no timer, no socket, no later
// attempt; it ends in one `closed` state event, and an open socket's end is reported
// by exactly one `close` event.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function closedStates(events: ReturnType<typeof start>['events']) {
  return events.states.filter((s) => s.state === 'closed');
}

describe('close()', () => {
  it('while connecting, before the socket exists: no timer, no socket, one closed state', async () => {
    const { server, client, events } = start();
    await client.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(client.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.sockets).toHaveLength(0);
    expect(closedStates(events)).toHaveLength(1);
    expect(events.closes.every((c) => !c.willReconnect)).toBe(true);
  });

  it('while connecting, socket not yet open: the socket is closed, no timer, no retry', async () => {
    const { server, client, events } = start();
    const socket = await server.next();
    await client.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(socket.closedByClient !== undefined || socket.terminated).toBe(true);
    expect(closedStates(events)).toHaveLength(1);
    expect(events.closes.length).toBeLessThanOrEqual(1);
    expect(events.closes.every((c) => !c.willReconnect)).toBe(true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.sockets).toHaveLength(1);
    expect(events.retries).toEqual([]);
    expect(events.errors).toEqual([]);
  });

  it('while open: closes the socket with 1000, no timer left', async () => {
    const { server, client, events } = start({ heartbeat: { intervalMs: 1000 } });
    const socket = await server.open();
    socket.data(1, 0, ['unacked']); // arms the ack timer
    void client.send('x');
    await flush();
    await client.close();
    expect(socket.closedByClient).toEqual({ code: 1000, reason: '' });
    expect(vi.getTimerCount()).toBe(0);
    expect(closedStates(events)).toEqual([{ state: 'closed', previous: 'open', reason: expect.any(String) }]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.sockets).toHaveLength(1);
    expect(events.errors).toEqual([]);
  });

  it("while open: emits exactly one 'close' event, {code: 1000, willReconnect: false}", async () => {
    const { server, client, events } = start();
    await server.open();
    await client.close();
    await flush();
    expect(events.closes).toEqual([{ code: 1000, reason: '', wasClean: true, willReconnect: false }]);
  });

  it('with a code and reason', async () => {
    const { server, client } = start();
    const socket = await server.open();
    await client.close(4000, 'logout');
    expect(socket.closedByClient).toEqual({ code: 4000, reason: 'logout' });
  });

  it('while reconnecting: the pending retry is cancelled, no timer, one closed state', async () => {
    const { server, client, events } = start();
    const socket = await server.open();
    socket.closeFromServer(1006, '', false);
    expect(client.state).toBe('reconnecting');
    const closesBefore = events.closes.length;
    await client.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(client.state).toBe('closed');
    expect(closedStates(events)).toEqual([{ state: 'closed', previous: 'reconnecting', reason: expect.any(String) }]);
    expect(events.closes.length - closesBefore).toBeLessThanOrEqual(1);
    expect(events.closes.slice(closesBefore).every((c) => !c.willReconnect)).toBe(true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.sockets).toHaveLength(1);
  });

  it('an unresponsive server: the socket is terminated after a grace period, then no timer', async () => {
    const { server, client } = start();
    const socket = await server.open();
    socket.answerClose = false;
    const closing = track(client.close());
    await flush();
    expect(closing.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    expect(closing.status).toBe('resolved');
    expect(socket.terminated).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('twice is harmless', async () => {
    const { server, client, events } = start();
    await server.open();
    await client.close();
    await client.close();
    expect(closedStates(events)).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a close code outside 1000 and 3000–4999 throws INVALID_ARGUMENT at the call site', async () => {
    const { server, client } = start();
    await server.open();
    expect(() => client.close(1001)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(client.state).toBe('open');
  });
});
