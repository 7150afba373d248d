// overflow: 'drop-oldest' — the oldest message that was never transmitted is pushed
// out and rejects EVICTED; one error event per turn; counted in stats().evicted.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("outbox overflow: 'drop-oldest'", () => {
  it('evicts the oldest unsent message (never one already on the wire)', async () => {
    const { server, client, events } = start({ outbox: { maxMessages: 3, overflow: 'drop-oldest' } });
    const socket = await server.open();
    const a = track(client.send('a'));
    await flush(); // a is transmitted, unacked
    const b = track(client.send('b'));
    const c = track(client.send('c'));
    const d = track(client.send('d'));
    await flush();
    expect(a.status).toBe('pending');
    expect(b.status).toBe('rejected');
    expect(b.error.code).toBe('EVICTED');
    expect([c.status, d.status]).toEqual(['pending', 'pending']);
    expect(events.errors.map((e) => e.code)).toEqual(['EVICTED']);
    expect(client.stats().evicted).toBe(1);
    expect(socket.dataFrames()).toMatchObject([
      { firstSeq: 1, entries: [{ data: 'a' }] },
      { firstSeq: 2, entries: [{ data: 'c' }, { data: 'd' }] },
    ]);
    socket.ack(3);
    await flush();
    expect([a.status, c.status, d.status]).toEqual(['resolved', 'resolved', 'resolved']);
  });

  it('offline: the oldest queued message goes, the newest ones are sent after the welcome', async () => {
    const { server, client, events } = start({ outbox: { maxMessages: 2, overflow: 'drop-oldest' } });
    const p = ['a', 'b', 'c', 'd'].map((m) => track(client.send(m)));
    await flush();
    expect(p.map((x) => x.status)).toEqual(['rejected', 'rejected', 'pending', 'pending']);
    expect(p[0].error.code).toBe('EVICTED');
    expect(events.errors.map((e) => e.code)).toEqual(['EVICTED']); // one per turn
    expect(client.stats().evicted).toBe(2);
    const socket = await server.open();
    expect(socket.dataFrames()).toMatchObject([{ firstSeq: 1, entries: [{ data: 'c' }, { data: 'd' }] }]);
  });

  it('when everything in the outbox is already on the wire, the new send rejects OUTBOX_FULL', async () => {
    const { server, client, events } = start({ outbox: { maxMessages: 2, overflow: 'drop-oldest' } });
    await server.open();
    void client.send('a');
    void client.send('b');
    await flush();
    const c = track(client.send('c'));
    await flush();
    expect(c.status).toBe('rejected');
    expect(c.error.code).toBe('OUTBOX_FULL');
    expect(events.errors.map((e) => e.code)).toEqual(['OUTBOX_FULL']);
  });
});
