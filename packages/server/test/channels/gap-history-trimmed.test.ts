// When history no longer reaches back to what a subscriber missed (count or age bound),
// it gets `gap` with the exact range and `recovered: false` — never a silent skip — and
// live delivery continues after it.
import { describe, expect, it, vi } from 'vitest';
import { connect, offsets, record, startProxy, startServer } from './helpers.js';

describe('gap when history was trimmed', () => {
  it('by count: gap {from: last + 1, to: latest}, then live', async () => {
    const server = await startServer({ channels: { historyMaxMessages: 3 } });
    const proxy = await startProxy(server.url);
    const client = connect(proxy.url);
    const sub = client.subscribe('busy');
    const r = record(sub);
    await vi.waitFor(() => expect(sub.state).toBe('subscribed'));
    await server.publish('busy', 'p1');
    await vi.waitFor(() => expect(offsets(r)).toEqual([1]));

    proxy.refuse();
    proxy.cut();
    await vi.waitFor(() => expect(server.channels.subscribers('busy')).toBe(0));
    for (let i = 2; i <= 10; i++) await server.publish('busy', `p${i}`); // history keeps 8..10
    proxy.restore();

    await vi.waitFor(() => expect(r.subscribed).toHaveLength(2));
    expect(r.gaps).toEqual([{ from: 2, to: 10 }]);
    expect(r.subscribed[1]).toMatchObject({ recovered: false, offset: 10, epoch: r.subscribed[0].epoch });
    expect(r.events.slice(-2)).toEqual(['gap 2-10', 'subscribed false 10']);
    await server.publish('busy', 'p11');
    await vi.waitFor(() => expect(offsets(r)).toEqual([1, 11]));
  });

  it('by age: publications older than historyMaxAgeMs are not replayed', async () => {
    const server = await startServer({ channels: { historyMaxAgeMs: 100 } });
    let epoch = '';
    for (let i = 1; i <= 4; i++) epoch = (await server.publish('old', `p${i}`)).epoch;
    await new Promise((resolve) => setTimeout(resolve, 250));
    const r = record(connect(server.url).subscribe('old', { since: { offset: 1, epoch } }));
    await vi.waitFor(() => expect(r.subscribed).toHaveLength(1));
    expect(r.gaps).toEqual([{ from: 2, to: 4 }]);
    expect(r.subscribed[0]).toMatchObject({ recovered: false, offset: 4 });
    expect(r.publications).toEqual([]);
  });

  it('nothing missed is no gap, even when history is empty', async () => {
    const server = await startServer({ channels: { historyMaxMessages: 0 } });
    const { epoch } = await server.publish('quiet', 'p1');
    const r = record(connect(server.url).subscribe('quiet', { since: { offset: 1, epoch } }));
    await vi.waitFor(() => expect(r.subscribed).toHaveLength(1));
    expect(r.subscribed[0]).toMatchObject({ recovered: true, offset: 1 });
    expect(r.gaps).toEqual([]);
  });
});
