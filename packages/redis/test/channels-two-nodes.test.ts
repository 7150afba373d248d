// Two servers on one Redis serve the same channels: a publication on either node reaches
// subscribers on both, offsets are contiguous across nodes (one Lua script does INCR +
// XADD + PUBLISH), and both nodes see the same order.
import { describe, expect, it, vi } from 'vitest';
import { connect, offsets, range, record, startNode } from './helpers/nodes.js';

describe('channels across two nodes', () => {
  it('publications from both nodes reach subscribers on both, in one contiguous order', async () => {
    const a = await startNode();
    const b = await startNode();
    const onA = record(connect(a.server.url).subscribe('room'));
    const onB = record(connect(b.server.url).subscribe('room'));
    const publisherOnB = connect(b.server.url).subscribe('room');
    await vi.waitFor(() => expect(onA.subscribed.length + onB.subscribed.length).toBe(2));
    expect(onA.subscribed[0].epoch).toBe(onB.subscribed[0].epoch);

    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      sends.push(a.server.publish('room', `a${i}`));
      sends.push(b.server.publish('room', `b${i}`));
      if (i % 10 === 0) sends.push(publisherOnB.publish(`client${i}`));
    }
    await Promise.all(sends);
    await vi.waitFor(() => expect(onA.publications).toHaveLength(210));
    await vi.waitFor(() => expect(onB.publications).toHaveLength(210));
    expect(offsets(onA)).toEqual(range(1, 210));
    expect(onA.publications.map((p) => p.data)).toEqual(onB.publications.map((p) => p.data));
    // Each node's own publications keep their order.
    const fromA = onA.publications.map((p) => p.data).filter((d) => String(d).startsWith('a'));
    expect(fromA).toEqual(range(0, 99).map((i) => `a${i}`));
  });

  it('replays history written by another node; a new subscriber joins at the shared latest offset', async () => {
    const a = await startNode();
    const b = await startNode();
    let epoch = '';
    for (let i = 1; i <= 5; i++) epoch = (await a.server.publish('feed', new Uint8Array([i]))).epoch;
    const r = record(connect(b.server.url).subscribe('feed', { since: { offset: 2, epoch } }));
    await vi.waitFor(() => expect(offsets(r)).toEqual([3, 4, 5]));
    expect(r.publications.map((p) => [...(p.data as Uint8Array)])).toEqual([[3], [4], [5]]);
    expect(r.subscribed[0]).toEqual({ recovered: true, offset: 2, epoch, replayed: 3 }); // the redis store's history too
    const late = record(connect(a.server.url).subscribe('feed'));
    await vi.waitFor(() => expect(late.subscribed).toHaveLength(1));
    expect(late.subscribed[0]).toMatchObject({ recovered: false, offset: 5, epoch });
  });

  it('gaps when Redis history was trimmed (MAXLEN) or aged out', async () => {
    const a = await startNode({ channels: { historyMaxMessages: 3, historyMaxAgeMs: 300 } });
    let epoch = '';
    for (let i = 1; i <= 10; i++) epoch = (await a.server.publish('busy', `p${i}`)).epoch;
    const trimmed = record(connect(a.server.url).subscribe('busy', { since: { offset: 2, epoch } }));
    await vi.waitFor(() => expect(trimmed.subscribed).toHaveLength(1));
    expect(trimmed.gaps).toEqual([{ from: 3, to: 10 }]);
    expect(trimmed.subscribed[0]).toMatchObject({ recovered: false, offset: 10 });

    // Within the age bound, what the count bound kept is recovered…
    const fresh = record(connect(a.server.url).subscribe('busy', { since: { offset: 8, epoch } }));
    await vi.waitFor(() => expect(offsets(fresh)).toEqual([9, 10]));
    expect(fresh.gaps).toEqual([]);
    // …after it, not.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const aged = record(connect(a.server.url).subscribe('busy', { since: { offset: 8, epoch } }));
    await vi.waitFor(() => expect(aged.subscribed).toHaveLength(1));
    expect(aged.gaps).toEqual([{ from: 9, to: 10 }]);
  });
});
