// The SessionStore contract on a real Redis: sessions round-trip (text and binary replay
// messages, counters, nacks), writes are idempotent by seq and trimmed to what is
// unacknowledged, tombstones expire, and a session another node claimed is never written
// from the old node again.
import { describe, expect, it } from 'vitest';
import type { SessionRecord } from '@continuum/server';
import { keysFor } from '../src/index.js';
import { newStore } from './helpers/setup.js';

function record(id: string, messages: (string | Uint8Array)[] = []): SessionRecord {
  return {
    id,
    token: 'tok',
    identityKey: '{"user":"ann"}',
    sent: messages.length,
    received: 3,
    handled: 2,
    peerAck: 0,
    replay: messages.map((data) => ({ data, bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.length })),
    replayBytes: 0,
    nacks: [{ seq: 2, code: 'REJECTED_BY_SERVER', message: 'no', fence: 1 }],
    expiresAt: 0,
  };
}

describe('redis store: sessions', () => {
  it('round-trips a session with text and binary messages', async () => {
    const store = newStore();
    const r = record('s1', ['héllo', new Uint8Array([0, 255, 10]), '']);
    r.replayBytes = r.replay.reduce((n, m) => n + m.bytes, 0);
    await store.setSession(r);
    const back = await store.getSession('s1');
    expect(back).toEqual({ ...r });
    expect(back!.replay[1].data).toBeInstanceOf(Uint8Array);
    expect(await store.getSession('nope')).toBeUndefined();
  });

  it('sync appends only new messages, keeps counters monotonic and trims what was acknowledged', async () => {
    const store = newStore();
    const r = record('s2', ['a', 'b']);
    await store.setSession(r);
    r.replay.push({ data: 'c', bytes: 1 }, { data: 'd', bytes: 1 });
    r.sent = 4;
    await store.sync(r, 3);
    await store.sync(r, 1); // again from the start: nothing is duplicated
    // The client acknowledged 1..2.
    r.replay.splice(0, 2);
    r.peerAck = 2;
    r.handled = 3;
    await store.sync(r, 5);
    const back = (await store.getSession('s2'))!;
    expect(back.replay.map((m) => m.data)).toEqual(['c', 'd']);
    expect(back).toMatchObject({ sent: 4, peerAck: 2, handled: 3 });
    expect(await store.redis.xlen(keysFor('continuum:').sessionOut('s2'))).toBe(2);
  });

  it('a session claimed by another node is never written by the old one again (FENCED)', async () => {
    const a = newStore();
    const b = newStore();
    const r = record('s3', ['a']);
    await a.setSession(r);
    const adopted = (await b.getSession('s3'))!;
    adopted.replay.push({ data: 'from b', bytes: 6 });
    adopted.sent = 2;
    await b.sync(adopted, 2); // b's first write claims it
    r.replay.push({ data: 'from a', bytes: 6 });
    r.sent = 2;
    await expect(a.sync(r, 2)).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/taken over/) });
    expect((await b.getSession('s3'))!.replay.map((m) => m.data)).toEqual(['a', 'from b']);
    // The old node cannot delete it either.
    await a.deleteSession('s3');
    expect(await b.getSession('s3')).toBeDefined();
    await b.deleteSession('s3');
    expect(await b.getSession('s3')).toBeUndefined();
  });

  it('keys expire: connected sessions after a day, disconnected ones after expiresAt plus a grace', async () => {
    const store = newStore();
    const r = record('s4', ['x']);
    await store.setSession(r);
    const k = keysFor('continuum:');
    expect(await store.redis.pttl(k.session('s4'))).toBeGreaterThan(23 * 3600_000);
    r.expiresAt = Date.now() + 1000;
    await store.setSession(r);
    const ttl = await store.redis.pttl(k.session('s4'));
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThan(15 * 60_000);
  });
});

describe('redis store: tombstones', () => {
  it('stores tombstones until their expiresAt', async () => {
    const store = newStore();
    const tombstone = { id: 't1', token: 'tok', identityKey: 'null', sent: 9, ack: 4, expiresAt: Date.now() + 300 };
    await store.setTombstone(tombstone);
    expect(await store.getTombstone('t1')).toEqual(tombstone);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(await store.getTombstone('t1')).toBeUndefined();
    await store.setTombstone({ ...tombstone, id: 't2', expiresAt: Date.now() - 1 });
    expect(await store.getTombstone('t2')).toBeUndefined();
  });
});
