// Joining with `since` replays the history after it, then continues live; the position
// handed out by `subscribed` (and `sub.since`) is what a later join resumes from.
import { describe, expect, it, vi } from 'vitest';
import { connect, offsets, range, record, startServer } from './helpers.js';

describe('history on join', () => {
  it('replays publications after since, in order, then live ones', async () => {
    const server = await startServer();
    let epoch = '';
    for (let i = 1; i <= 5; i++) epoch = (await server.publish('feed', `m${i}`)).epoch;

    const client = connect(server.url);
    const sub = client.subscribe('feed', { since: { offset: 2, epoch } });
    const r = record(sub);
    await vi.waitFor(() => expect(offsets(r)).toEqual([3, 4, 5]));
    expect(r.subscribed).toEqual([{ recovered: true, offset: 2, epoch, replayed: 3 }]); // m3–m5 are history
    expect(r.events[0]).toBe('subscribed true 2'); // subscribed comes before the replay
    await server.publish('feed', 'm6');
    await vi.waitFor(() => expect(offsets(r)).toEqual([3, 4, 5, 6]));
    expect(r.publications.map((p) => p.data)).toEqual(['m3', 'm4', 'm5', 'm6']);
    expect(r.gaps).toEqual([]);
    expect(sub.since).toEqual({ offset: 6, epoch });
  });

  it('without since: recovered false at the latest offset, nothing replayed', async () => {
    const server = await startServer();
    for (let i = 1; i <= 3; i++) await server.publish('feed', `m${i}`);
    const r = record(connect(server.url).subscribe('feed'));
    await vi.waitFor(() => expect(r.subscribed).toHaveLength(1));
    expect(r.subscribed[0]).toMatchObject({ recovered: false, offset: 3, replayed: 0 });
    await server.publish('feed', 'm4');
    await vi.waitFor(() => expect(offsets(r)).toEqual([4]));
    expect(r.gaps).toEqual([]);
  });

  it('a later client resumes from a saved position across client instances', async () => {
    const server = await startServer();
    const first = connect(server.url);
    const sub = first.subscribe('feed');
    const r1 = record(sub);
    await vi.waitFor(() => expect(sub.state).toBe('subscribed'));
    for (let i = 1; i <= 3; i++) await server.publish('feed', `m${i}`);
    await vi.waitFor(() => expect(offsets(r1)).toEqual([1, 2, 3]));
    const saved = sub.since!;
    await first.close();
    expect(server.channels.subscribers('feed')).toBe(0);

    for (let i = 4; i <= 8; i++) await server.publish('feed', `m${i}`);
    const r2 = record(connect(server.url).subscribe('feed', { since: saved }));
    await vi.waitFor(() => expect(offsets(r2)).toEqual(range(4, 8)));
    expect(r2.subscribed[0]).toMatchObject({ recovered: true, offset: 3 });
  });

  it('replays a long history in several frames without a hole', async () => {
    const server = await startServer({ channels: { historyMaxMessages: 10_000 } });
    let epoch = '';
    const big = 'x'.repeat(600 * 1024); // two of these do not fit one 1 MiB replay frame
    for (let i = 1; i <= 5000; i++) epoch = (await server.publish('long', i % 1000 === 0 ? big : `m${i}`)).epoch;
    const r = record(connect(server.url).subscribe('long', { since: { offset: 0, epoch } }));
    await vi.waitFor(() => expect(r.publications).toHaveLength(5000), { timeout: 10_000 });
    expect(offsets(r)).toEqual(range(1, 5000));
  });
});
