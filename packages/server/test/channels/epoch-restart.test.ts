// An in-memory server that restarts has lost every channel's history: the channel gets
// a new epoch, a resuming subscriber gets `gap {from, to: null}` and `recovered: false`,
// and live publications of the new epoch continue from offset 1.
import { describe, expect, it, vi } from 'vitest';
import { connect, offsets, record, startProxy, startServer } from './helpers.js';

describe('epoch change after a server restart', () => {
  it('reports gap {to: null}, recovered false, then delivers the new epoch live', async () => {
    const first = await startServer();
    const proxy = await startProxy(first.url);
    const client = connect(proxy.url);
    const sessions: { resumed: boolean; gap?: { from: number; to: number | null } }[] = [];
    client.on('session', (e) => sessions.push(e));
    const sub = client.subscribe('prices');
    const r = record(sub);
    await vi.waitFor(() => expect(sub.state).toBe('subscribed'));
    for (let i = 1; i <= 3; i++) await first.publish('prices', `old ${i}`);
    await vi.waitFor(() => expect(offsets(r)).toEqual([1, 2, 3]));
    const oldEpoch = r.subscribed[0].epoch;

    await first.close();
    const second = await startServer();
    proxy.setTarget(second.url);
    await vi.waitFor(() => expect(r.subscribed).toHaveLength(2), { timeout: 5000 });

    expect(sessions.at(-1)).toMatchObject({ resumed: false }); // the session was lost too
    expect(r.gaps).toEqual([{ from: 4, to: null }]);
    const [, again] = r.subscribed;
    expect(again.recovered).toBe(false);
    expect(again.epoch).not.toBe(oldEpoch);
    expect(again.offset).toBe(0);

    await second.publish('prices', 'new 1');
    await vi.waitFor(() => expect(r.publications).toHaveLength(4));
    expect(r.publications[3]).toEqual({ data: 'new 1', offset: 1, epoch: again.epoch });
    expect(sub.since).toEqual({ offset: 1, epoch: again.epoch });
  });
});
