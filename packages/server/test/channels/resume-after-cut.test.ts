// The proof of "subscriptions survive reconnects": publications keep flowing while a
// FaultProxy cuts and resets the link; after each reconnect the client re-subscribes
// from the last offset it delivered, and the server replays what it missed. Every
// offset arrives exactly once, in order, and the faults provably happened.
import { describe, expect, it, vi } from 'vitest';
import { connect, offsets, range, record, startProxy, startServer } from './helpers.js';

describe('resume after a cut', () => {
  it('replays missed publications exactly once, in order, across cuts and resets', async () => {
    const server = await startServer();
    const proxy = await startProxy(server.url);
    const client = connect(proxy.url, { heartbeat: { intervalMs: 100, timeoutMs: 300 } });
    const sub = client.subscribe('ticker');
    const r = record(sub);
    const sessions: boolean[] = [];
    client.on('session', (e) => sessions.push(e.resumed));
    await vi.waitFor(() => expect(sub.state).toBe('subscribed'));

    const TOTAL = 3000;
    let published = 0;
    // At each re-subscribe: how far the channel was ahead of what the client had delivered.
    const behind: number[] = [];
    sub.on('subscribed', ({ offset }) => behind.push(published - offset));
    const publisher = (async () => {
      while (published < TOTAL) {
        for (let i = 0; i < 25 && published < TOTAL; i++) await server.publish('ticker', `t${++published}`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    for (let i = 0; i < 6; i++) {
      await vi.waitFor(() => expect(r.publications.length).toBeGreaterThan((i * TOTAL) / 8));
      if (i % 2 === 0) proxy.cut();
      else proxy.reset();
      await vi.waitFor(() => expect(r.subscribed.length).toBe(i + 2), { timeout: 5000 });
    }
    await publisher;
    await vi.waitFor(() => expect(r.publications.length).toBe(TOTAL), { timeout: 10_000 });

    expect(offsets(r)).toEqual(range(1, TOTAL));
    expect(r.publications.map((p) => p.data)).toEqual(range(1, TOTAL).map((i) => `t${i}`));
    expect(r.gaps).toEqual([]);
    // Preconditions: the faults hit, the client resumed each time, and re-subscribed with recovery.
    expect(proxy.stats().cuts + proxy.stats().resets).toBe(6);
    expect(sessions.filter((resumed) => resumed)).toHaveLength(6);
    expect(r.subscribed.slice(1).every((s) => s.recovered)).toBe(true);
    // Publications really were missed on the wire and recovered from history.
    expect(behind).toHaveLength(6);
    expect(behind.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('publications made while the client is away are replayed after the resume', async () => {
    const server = await startServer();
    const proxy = await startProxy(server.url);
    const client = connect(proxy.url);
    const sub = client.subscribe('inbox');
    const r = record(sub);
    await vi.waitFor(() => expect(sub.state).toBe('subscribed'));
    await server.publish('inbox', 'before');
    await vi.waitFor(() => expect(offsets(r)).toEqual([1]));

    proxy.refuse();
    proxy.cut();
    await vi.waitFor(() => expect(client.state).not.toBe('open'));
    await vi.waitFor(() => expect(server.channels.subscribers('inbox')).toBe(0));
    for (let i = 1; i <= 10; i++) await server.publish('inbox', `away ${i}`);
    proxy.restore();
    await vi.waitFor(() => expect(offsets(r)).toEqual(range(1, 11)));
    expect(r.subscribed[1]).toMatchObject({ recovered: true, offset: 1 });
    expect(r.gaps).toEqual([]);
  });
});
