// Scenario 3: 5,000 numbered messages each way while the proxy cuts and resets the
// link at random: every message arrives once, in order, and the faults and the
// replays really happened (CONTRACT: tests prove their own preconditions).
import { expect, failures, fastClient, numbered, settledSends, test, until } from '../fixtures/test.js';
import { sleep } from '../fixtures/stack.js';

const N = 5000;

test('3. 5,000 messages each way through random cuts and resets: all once, in order', async ({ open, cx }) => {
  test.setTimeout(60_000);
  cx.echo = false;
  const page = await open('iife');
  // The outbox holds what waits during an outage: big enough that none of the 5,000 is refused.
  const options = { ...fastClient, outbox: { maxMessages: N } };
  await page.evaluate(([url, o]) => (window as any).h.connect(url, o), [cx.url, options] as const);
  await until(page, () => (window as any).h.of('open').length === 1);
  const session = await cx.onlySession();

  // Both streams are paced so the cuts land in the middle of them: down at ~2,000/s,
  // up at ~650/s, within the server's default rate limit of 1,000 messages/s per session.
  const down = cx.stream(session, N, { prefix: 'down:', chunk: 40, everyMs: 20 });
  const up = page.evaluate((n) => (window as any).h.sendMany('up:', 1, n, 26, 40), N);

  // Seeded: the seed is in the test's annotations; CHAOS_SEED=<seed> replays the fault plan.
  const seed = Number(process.env.CHAOS_SEED) || (Date.now() % 100_000) + 1;
  test.info().annotations.push({ type: 'seed', description: String(seed) });
  let state = seed;
  const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);

  const faults: string[] = [];
  const deadline = Date.now() + 30_000;
  for (let i = 0; i < 12 && Date.now() < deadline; i++) {
    await sleep(150 + random() * 250);
    const before = cx.proxy.stats();
    if (i === 1) {
      // Once, a link that swallows what is in flight, then resets (a NAT forgetting the
      // connection): the page has written messages the server never got, so it must
      // send them again. Plain cuts and resets on loopback rarely lose any in flight.
      await until(page, () => (window as any).h.client.state === 'open', 5000, 'the link up before the blackhole');
      cx.proxy.blackhole();
      await sleep(300);
      cx.proxy.reset();
      cx.proxy.restore();
    } else if (random() < 0.5) cx.proxy.cut();
    else cx.proxy.reset();
    const after = cx.proxy.stats();
    if (after.cuts + after.resets > before.cuts + before.resets) faults.push(i === 1 ? 'blackhole+reset' : after.cuts > before.cuts ? 'cut' : 'reset');
    const done = await page.evaluate((n) => (window as any).h.messages.length >= n, N);
    if (done && cx.received.length >= N && faults.length >= 4) break;
  }
  await Promise.all([down, up]);

  await until(page, () => (window as any).h.messages.length >= 5000, 20_000, 'all 5,000 server messages at the page');
  expect(failures(await settledSends(page, 20_000)), 'sends not acknowledged').toEqual([]);

  const { texts, seqs, stats, sessions, sockets } = await page.evaluate(() => {
    const h = (window as any).h;
    return {
      texts: h.texts(),
      seqs: h.messages.map((m: { seq: number }) => m.seq),
      stats: h.stats(),
      sessions: h.of('session'),
      sockets: h.sockets.length,
    };
  });
  test.info().annotations.push({
    type: 'chaos',
    description: `faults ${faults.join(',')}; sockets ${sockets}; client ${JSON.stringify({ resumes: stats.resumes, retransmitted: stats.retransmitted, duplicatesDropped: stats.duplicatesDropped })}; server replayed ${cx.metric('continuum_replayed_messages_total')}`,
  });

  // Preconditions: the link really broke several times mid-stream and was resumed.
  expect(faults.length, 'faults that hit a live connection').toBeGreaterThanOrEqual(4);
  expect(sockets).toBeGreaterThanOrEqual(faults.length + 1);
  expect(stats.resumes).toBeGreaterThanOrEqual(3);
  expect(cx.metric('continuum_replayed_messages_total'), 'messages the server sent again after a resume').toBeGreaterThan(0);
  expect(stats.retransmitted, 'messages the page sent again after a resume').toBeGreaterThan(0);

  // server → page: each once, in order, one unbroken sequence
  expect(texts).toEqual(numbered('down:', N));
  expect(seqs).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  // page → server: each handled once, in order, all in one session
  expect(cx.texts()).toEqual(numbered('up:', N));
  expect(new Set(cx.received.map((r) => r.session))).toEqual(new Set([session.id]));
  // One session throughout: every reconnect was a resume with nothing lost.
  expect(sessions.map((s: { id: string }) => s.id).every((id: string) => id === session.id)).toBe(true);
  expect(sessions.slice(1).every((s: { resumed: boolean; gap?: unknown }) => s.resumed && s.gap === undefined)).toBe(true);
});
