// Scenario 4: a half-open link (the proxy swallows every byte, closes nothing). Only
// the heartbeat can see it: the page must notice within heartbeat interval + timeout,
// reconnect, and resume with nothing lost in either direction.
import { expect, failures, numbered, settledSends, test, until } from '../fixtures/test.js';
import { fastServerOptions } from '../fixtures/stack.js';

test('4. half-open link: detected within interval + timeout, resumed with nothing lost', async ({ open, cx }) => {
  cx.echo = false;
  const timeoutMs = 1000;
  // The client watches for inbound silence of (server ping interval + timeout).
  const deadAfterMs = fastServerOptions.pingMs + timeoutMs;
  const page = await open('iife');
  const options = { backoff: { maxMs: 250 }, heartbeat: { timeoutMs }, connectTimeoutMs: 2000 };
  await page.evaluate(([url, o]) => (window as any).h.connect(url, o), [cx.url, options] as const);
  await until(page, () => (window as any).h.of('open').length === 1);
  const session = await cx.onlySession();

  await cx.stream(session, 100, { prefix: 'a:' });
  await page.evaluate(() => (window as any).h.sendMany('up:', 1, 10, 10, 0));
  await until(page, () => (window as any).h.messages.length === 100);
  await expect.poll(() => cx.received.length).toBe(10);

  const blackholedAt = Date.now();
  cx.proxy.blackhole();
  // Both directions keep going into the void: the server's messages wait in its replay
  // buffer, the page's in its outbox.
  await cx.stream(session, 100, { prefix: 'b:' });
  await page.evaluate(() => (window as any).h.sendMany('up:', 11, 30, 20, 0));

  const close = await until(page, () => (window as any).h.of('close')[0], deadAfterMs + 3000, 'the page to notice the dead link');
  cx.proxy.restore();
  const detectedMs = close.at - blackholedAt;
  test.info().annotations.push({ type: 'detection', description: `${detectedMs} ms (limit ${deadAfterMs} ms + timer slack)` });

  // Detected by the heartbeat, not before the timeout, and within interval + timeout.
  expect(close).toMatchObject({ code: 4408, willReconnect: true });
  expect(await page.evaluate(() => (window as any).h.of('error').map((e: { code: string }) => e.code))).toContain('HEARTBEAT_TIMEOUT');
  expect(detectedMs).toBeGreaterThanOrEqual(timeoutMs);
  expect(detectedMs).toBeLessThanOrEqual(deadAfterMs + 300);

  // Resumed: same session, nothing lost.
  await until(page, () => (window as any).h.messages.length >= 200, 10_000, 'the replayed messages');
  expect(failures(await settledSends(page))).toEqual([]);
  const { texts, seqs, sessions } = await page.evaluate(() => {
    const h = (window as any).h;
    return { texts: h.texts(), seqs: h.messages.map((m: { seq: number }) => m.seq), sessions: h.of('session') };
  });
  expect(sessions).toHaveLength(2);
  expect(sessions[1]).toMatchObject({ id: session.id, resumed: true });
  expect(sessions[1].gap).toBeUndefined();
  expect(texts).toEqual([...numbered('a:', 100), ...numbered('b:', 100)]);
  expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  expect(cx.texts()).toEqual(numbered('up:', 30));
});
