// Scenario 5: the server restarts and forgets everything (in-memory store). The page
// gets a `session` event with `resumed: false` and a gap whose end is unknowable
// (`to: null`), then carries on in the new session, both ways.
import { expect, failures, fastClient, numbered, settledSends, test, until } from '../fixtures/test.js';

test('5. server restarted without state: session { resumed: false, gap.to: null }, then a working new session', async ({ open, cx }) => {
  cx.echo = false;
  const page = await open('iife');
  await page.evaluate(([url, o]) => (window as any).h.connect(url, o), [cx.url, fastClient] as const);
  await until(page, () => (window as any).h.of('open').length === 1);
  const first = await cx.onlySession();
  await cx.stream(first, 20, { prefix: 'old:' });
  await page.evaluate(() => (window as any).h.sendMany('up-old:', 1, 5, 5, 0));
  await until(page, () => (window as any).h.messages.length === 20);
  // Acknowledged before the restart: with an in-memory store nothing could deduplicate a
  // re-send, so an unacknowledged message would rightly be handled again (at least once).
  expect(failures(await settledSends(page))).toEqual([]);
  expect(cx.texts()).toEqual(numbered('up-old:', 5));

  // The restart: a new server with an empty store; the old one shuts down (1012 with a retry hint).
  await cx.restart();
  const second = await cx.onlySession();
  expect(second.id).not.toBe(first.id);

  const session = await until(page, () => (window as any).h.of('session')[1], 10_000, 'the second session event');
  expect(session).toMatchObject({ id: second.id, resumed: false, previousId: first.id, gap: { from: 21, to: null }, unsent: { resent: 0, rejected: 0 } });
  const close = await page.evaluate(() => (window as any).h.of('close')[0]);
  expect(close).toMatchObject({ code: 1012, willReconnect: true });

  // The new session works both ways and numbers from 1 again.
  await cx.stream(second, 10, { prefix: 'new:' });
  await page.evaluate(() => (window as any).h.sendMany('up-new:', 1, 5, 5, 0));
  await until(page, () => (window as any).h.messages.length === 30);
  expect(failures(await settledSends(page))).toEqual([]);
  const { texts, seqs } = await page.evaluate(() => {
    const h = (window as any).h;
    return { texts: h.texts(), seqs: h.messages.map((m: { seq: number }) => m.seq) };
  });
  expect(texts).toEqual([...numbered('old:', 20), ...numbered('new:', 10)]);
  expect(seqs).toEqual([...Array.from({ length: 20 }, (_, i) => i + 1), ...Array.from({ length: 10 }, (_, i) => i + 1)]);
  expect(cx.received.filter((r) => r.session === second.id).map((r) => r.data)).toEqual(numbered('up-new:', 5));
  expect(cx.texts()).toEqual([...numbered('up-old:', 5), ...numbered('up-new:', 5)]);
});

test('5b. messages in flight when the server restarts are sent again to the new one, once, and reported', async ({ open, cx }) => {
  cx.echo = false;
  const page = await open('esm');
  await page.evaluate(([url, o]) => (window as any).h.connect(url, o), [cx.url, fastClient] as const);
  await until(page, () => (window as any).h.of('open').length === 1);
  const first = await cx.onlySession();

  // Sent into a dead link: written on the socket, never received by the old server.
  cx.proxy.blackhole();
  await page.evaluate(() => (window as any).h.sendMany('in-flight:', 1, 3, 3, 0));
  await page.waitForTimeout(100);
  expect(await page.evaluate(() => (window as any).h.stats().messagesOut)).toBe(3);
  await cx.restart();
  cx.proxy.restore(); // the old server's close was swallowed: the page's socket is reset now

  const session = await until(page, () => (window as any).h.of('session')[1], 10_000, 'the new session');
  expect(session).toMatchObject({ resumed: false, previousId: first.id, gap: { to: null }, unsent: { resent: 3, rejected: 0 } });
  expect(failures(await settledSends(page))).toEqual([]);
  expect(cx.texts()).toEqual(numbered('in-flight:', 3));
  expect(new Set(cx.received.map((r) => r.session))).toEqual(new Set([(await cx.onlySession()).id]));
});
