// close({ drain: true, timeoutMs }) waits until every accepted message was
// acknowledged; on timeout, what is left rejects CLIENT_CLOSED; then it closes.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('close({ drain: true })', () => {
  it('waits for the acks, then closes with 1000', async () => {
    const { server, client } = start();
    const socket = await server.open();
    const a = track(client.send('a'));
    const b = track(client.send('b'));
    const closing = track(client.close({ drain: true, timeoutMs: 5000 }));
    await vi.advanceTimersByTimeAsync(500);
    expect(client.state).toBe('open');
    expect(socket.closedByClient).toBeUndefined();
    expect(socket.dataFrames()).toHaveLength(1); // still sending while draining
    socket.ack(2);
    await vi.advanceTimersByTimeAsync(20);
    expect([a.status, b.status]).toEqual(['resolved', 'resolved']);
    expect(closing.status).toBe('resolved');
    expect(socket.closedByClient?.code).toBe(1000);
    expect(client.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('on timeout: the unacknowledged rest rejects CLIENT_CLOSED, then it closes', async () => {
    const { server, client } = start();
    const socket = await server.open();
    const a = track(client.send('a'));
    const b = track(client.send('b'));
    await flush();
    socket.ack(1);
    const closing = track(client.close({ drain: true, timeoutMs: 1000 }));
    await vi.advanceTimersByTimeAsync(999);
    expect(closing.status).toBe('pending');
    expect(b.status).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(a.status).toBe('resolved');
    expect(b.status).toBe('rejected');
    expect(b.error.code).toBe('CLIENT_CLOSED');
    expect(closing.status).toBe('resolved');
    expect(socket.closedByClient?.code).toBe(1000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a plain close() during a draining one settles both and leaves no timer', async () => {
    const { server, client } = start();
    const socket = await server.open();
    const a = track(client.send('a'));
    const draining = track(client.close({ drain: true, timeoutMs: 5000 }));
    await vi.advanceTimersByTimeAsync(50);
    expect(draining.status).toBe('pending');
    const closing = track(client.close(4000, 'now'));
    await vi.advanceTimersByTimeAsync(1100); // past the closing handshake's grace period
    expect(closing.status).toBe('resolved');
    expect(draining.status).toBe('resolved');
    expect(a.status).toBe('rejected');
    expect(a.error.code).toBe('CLIENT_CLOSED');
    expect(socket.closedByClient?.code).toBe(4000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('with nothing pending it closes at once', async () => {
    const { server, client } = start();
    const socket = await server.open();
    await client.close({ drain: true });
    expect(socket.closedByClient?.code).toBe(1000);
  });

  it('drains across a reconnect: messages sent offline are delivered before the close', async () => {
    const { server, client, events } = start();
    const first = await server.open();
    first.closeFromServer(1006, '', false);
    const a = track(client.send('a'));
    const closing = track(client.close({ drain: true, timeoutMs: 30_000 }));
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    const second = await server.open({ resumed: true });
    expect(second.dataFrames()).toMatchObject([{ entries: [{ data: 'a' }] }]);
    second.ack(1);
    await vi.advanceTimersByTimeAsync(20);
    expect(a.status).toBe('resolved');
    expect(closing.status).toBe('resolved');
    expect(client.state).toBe('closed');
  });
});
