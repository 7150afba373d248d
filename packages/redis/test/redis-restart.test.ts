// Redis restarted without persistence: every channel lost its history and offsets, so
// the channel starts a new epoch; a live subscriber sees the epoch change, re-subscribes
// and gets `gap {to: null}` with `recovered: false`, then live delivery continues. The
// session, still held by its server, keeps working (its state is written back).
import { describe, expect, it, vi } from 'vitest';
import { connect, offsets, record, startNode } from './helpers/nodes.js';
import { redis } from './helpers/setup.js';

describe('Redis restart', () => {
  it('reports the epoch change as a gap, then delivers live publications', async () => {
    const a = await startNode();
    const errors: Error[] = [];
    a.server.on('error', (e) => errors.push(e));
    const client = connect(a.server.url);
    const sub = client.subscribe('feed');
    const r = record(sub);
    const received: string[] = [];
    client.on('message', (data) => received.push(String(data)));
    await vi.waitFor(() => expect(sub.state).toBe('subscribed'));
    for (let i = 1; i <= 5; i++) await a.server.publish('feed', `before ${i}`);
    await vi.waitFor(() => expect(offsets(r)).toEqual([1, 2, 3, 4, 5]));
    const oldEpoch = r.subscribed[0].epoch;

    await redis.server.restart();
    const { epoch, offset } = await a.server.publish('feed', 'after 1');
    expect(epoch).not.toBe(oldEpoch);
    expect(offset).toBe(1);

    await vi.waitFor(() => expect(r.subscribed).toHaveLength(2), { timeout: 10_000 });
    expect(r.gaps).toEqual([{ from: 6, to: null }]);
    expect(r.subscribed[1]).toMatchObject({ recovered: false, epoch });
    await a.server.publish('feed', 'after 2');
    await vi.waitFor(() => expect(r.publications.at(-1)).toMatchObject({ data: 'after 2', epoch }));
    expect(r.publications.filter((p) => p.epoch === epoch).map((p) => p.offset)).toEqual(
      r.subscribed[1].offset === 1 ? [2] : [1, 2],
    );

    // The session goes on: messages both ways.
    const [session] = a.server.sessions;
    session.on('message', (data) => void session.send(`echo ${String(data)}`));
    await client.send('ping');
    await vi.waitFor(() => expect(received).toEqual(['echo ping']));
  }, 30_000);
});
