// overflow: 'reject' — a send into a full outbox rejects OUTBOX_FULL; one error event
// per event-loop turn; counted in stats().overflowed.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("outbox overflow: 'reject'", () => {
  it('rejects sends beyond maxMessages with OUTBOX_FULL, one error event per turn', async () => {
    const { server, client, events } = start({ outbox: { maxMessages: 2 } });
    const socket = await server.open();
    const p = ['a', 'b', 'c', 'd', 'e'].map((m) => track(client.send(m)));
    await flush();
    expect(p.map((x) => x.status)).toEqual(['pending', 'pending', 'rejected', 'rejected', 'rejected']);
    expect(p.slice(2).map((x) => x.error.code)).toEqual(['OUTBOX_FULL', 'OUTBOX_FULL', 'OUTBOX_FULL']);
    expect(events.errors.map((e) => e.code)).toEqual(['OUTBOX_FULL']);
    // the rejected ones were not sent
    expect(socket.dataFrames()).toMatchObject([{ firstSeq: 1, entries: [{ data: 'a' }, { data: 'b' }] }]);

    const f = track(client.send('f'));
    const g = track(client.send('g'));
    await flush();
    expect([f.status, g.status]).toEqual(['rejected', 'rejected']);
    expect(events.errors.map((e) => e.code)).toEqual(['OUTBOX_FULL', 'OUTBOX_FULL']);
    expect(client.stats().overflowed).toBe(5);

    socket.ack(2);
    await flush();
    expect(p[0].status).toBe('resolved');
    const h = track(client.send('h'));
    await flush();
    expect(h.status).toBe('pending');
    expect(events.errors).toHaveLength(2);
  });

  it('counts bytes too: maxBytes', async () => {
    const { server, client, events } = start({ outbox: { maxBytes: 10 } });
    await server.open();
    const a = track(client.send('123456'));
    const b = track(client.send('abcdef'));
    const c = track(client.send('1234'));
    await flush();
    expect([a.status, b.status, c.status]).toEqual(['pending', 'rejected', 'pending']);
    expect(b.error.code).toBe('OUTBOX_FULL');
    expect(events.errors).toHaveLength(1);
    expect(client.stats().outboxBytes).toBe(10);
  });

  it('applies while offline as well (before the first welcome)', async () => {
    const { client, events } = start({ outbox: { maxMessages: 1 } });
    const a = track(client.send('a'));
    const b = track(client.send('b'));
    await flush();
    expect([a.status, b.status]).toEqual(['pending', 'rejected']);
    expect(events.errors.map((e) => e.code)).toEqual(['OUTBOX_FULL']);
  });
});
