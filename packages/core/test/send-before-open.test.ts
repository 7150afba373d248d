// Sends before the handshake completed are accepted into the outbox and leave, in
// order, right after the welcome.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('send before open', () => {
  it('queues while connecting and flushes in order on open', async () => {
    const { server, client } = start();
    const p1 = track(client.send('one'));
    await flush();
    const p2 = track(client.send('two'));
    const socket = await server.next();
    const p3 = track(client.send('three'));
    socket.accept();
    await flush();
    expect(socket.dataFrames()).toEqual([]);
    socket.welcome();
    await flush();
    const entries = socket.dataFrames().flatMap((f) => (f.kind === 1 ? f.entries.map((e, i) => [f.firstSeq + i, e.data]) : []));
    expect(entries).toEqual([
      [1, 'one'],
      [2, 'two'],
      [3, 'three'],
    ]);
    expect([p1.status, p2.status, p3.status]).toEqual(['pending', 'pending', 'pending']);
    socket.ack(3);
    await flush();
    expect([p1.status, p2.status, p3.status]).toEqual(['resolved', 'resolved', 'resolved']);
  });

  it('with autoConnect: false, sends wait for connect()', async () => {
    const { server, client } = start({ autoConnect: false });
    const p = track(client.send('queued'));
    await flush();
    expect(server.sockets).toHaveLength(0);
    expect(p.status).toBe('pending');
    client.connect();
    const socket = await server.open();
    expect(socket.dataFrames()).toMatchObject([{ kind: 1, firstSeq: 1, entries: [{ data: 'queued' }] }]);
  });

  it('with autoConnect: false, close() before any connect() rejects the waiting sends with CLIENT_CLOSED', async () => {
    const { server, client } = start({ autoConnect: false });
    const p = track(client.send('queued'));
    await client.close();
    await flush();
    expect(p.status).toBe('rejected');
    expect(p.error?.code).toBe('CLIENT_CLOSED');
    expect(client.stats().outboxMessages).toBe(0);
    expect(server.sockets).toHaveLength(0);
  });

  it('sends while reconnecting leave after the next welcome, numbered after the earlier ones', async () => {
    const { server, client, events } = start({ backoff: { maxMs: 50 } });
    const first = await server.open();
    void client.send('a');
    await flush();
    first.closeFromServer(1006, '', false);
    expect(client.state).toBe('reconnecting');
    void client.send('b');
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    const second = await server.next();
    second.accept();
    await flush();
    second.welcome({ resumed: true, recv: 1, ack: 0 });
    await flush();
    expect(second.dataFrames()).toMatchObject([{ kind: 1, firstSeq: 2, entries: [{ data: 'b' }] }]);
  });
});
