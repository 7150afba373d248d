// `sub.publish()` is a session message: across cuts it is re-sent and de-duplicated,
// so every publish lands in the channel exactly once, in order, and settles once.
import { describe, expect, it, vi } from 'vitest';
import { connect, record, startProxy, startServer } from './helpers.js';

describe('client publish across cuts', () => {
  it('appends every publish exactly once, in order', async () => {
    const server = await startServer();
    const proxy = await startProxy(server.url);
    const watcher = record(connect(server.url).subscribe('log'));
    const publisher = connect(proxy.url, { heartbeat: { intervalMs: 100, timeoutMs: 300 }, outbox: { maxMessages: 5000 } });
    const sub = publisher.subscribe('log');
    await vi.waitFor(() => expect(watcher.subscribed.length).toBe(1));

    const TOTAL = 2000;
    let settled = 0;
    const failures: unknown[] = [];
    const pending: Promise<void>[] = [];
    for (let i = 1; i <= TOTAL; i++) {
      pending.push(sub.publish(`m${i}`).then(() => void settled++, (e) => void failures.push(e)));
      if (i % 200 === 0) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (i % 400 === 0) proxy.cut();
        else proxy.reset();
      }
    }
    await Promise.all(pending);
    expect(failures).toEqual([]);
    expect(settled).toBe(TOTAL);
    await vi.waitFor(() => expect(watcher.publications).toHaveLength(TOTAL));
    expect(watcher.publications.map((p) => p.data)).toEqual(Array.from({ length: TOTAL }, (_, i) => `m${i + 1}`));
    expect(proxy.stats().cuts + proxy.stats().resets).toBeGreaterThan(0);
    expect(publisher.stats().retransmitted).toBeGreaterThan(0);
  });
});
