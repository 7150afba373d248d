// Scenario 6: the network comes back. While the client waits out a long backoff
// delay, an `online` event must start an attempt at once (within 500 ms), and what
// the page queued meanwhile is delivered. `offline` itself starts no attempt.
//
// Playwright's context.setOffline() does not close open WebSockets in this Chromium
// (TOOLCHAIN trap 8), so the link is broken at the proxy and the events are
// dispatched in the page, as the browser would fire them.
import { expect, failures, numbered, settledSends, test, until } from '../fixtures/test.js';

test('6. offline then online: a reconnect attempt starts within 500 ms of `online`', async ({ open, cx }) => {
  cx.echo = false;
  const page = await open('iife');
  // random() = 0.99: the first delay after a server-side loss is 0.99 × spreadMs = 4950 ms,
  // long enough that only the `online` handler can explain an attempt within 500 ms.
  await page.evaluate((url) => (window as any).h.connect(url, { randomFixed: 0.99, backoff: { spreadMs: 5000 } }), cx.url);
  await until(page, () => (window as any).h.of('open').length === 1);
  const session = await cx.onlySession();

  // The server is unreachable: the open link is reset, new connections are refused.
  cx.proxy.refuse();
  cx.proxy.reset();
  const retry = await until(page, () => (window as any).h.of('retry')[0], 5000, 'the first retry to be scheduled');
  expect(retry.delayMs).toBeGreaterThan(4000);

  await page.evaluate(() => window.dispatchEvent(new Event('offline')));
  await page.evaluate(() => (window as any).h.sendMany('while-offline:', 1, 3, 3, 0));
  cx.proxy.restore();
  await page.waitForTimeout(300);
  // Precondition: nothing has tried to connect since the loss (`offline` included), and the
  // backoff timer still has well over 500 ms to go.
  const before = await page.evaluate(() => {
    const h = (window as any).h;
    return { sockets: h.sockets.length, now: performance.now() };
  });
  expect(before.sockets, 'sockets opened before `online`').toBe(1);
  expect(retry.t + retry.delayMs - before.now, 'backoff time left when `online` fires').toBeGreaterThan(2000);

  await page.evaluate(() => {
    const h = (window as any).h;
    h.mark('online');
    window.dispatchEvent(new Event('online'));
  });
  const socket = await until(page, () => (window as any).h.sockets[1], 2000, 'a reconnect attempt after `online`');
  const onlineAt = await page.evaluate(() => (window as any).h.marks.online.t);
  const latencyMs = socket.t - onlineAt;
  test.info().annotations.push({ type: 'online → attempt', description: `${latencyMs.toFixed(1)} ms` });
  expect(latencyMs).toBeLessThanOrEqual(500);

  // The attempt succeeds, resumes, and delivers what waited, both ways.
  const resumed = await until(page, () => (window as any).h.of('session')[1], 5000, 'the resume');
  expect(resumed).toMatchObject({ id: session.id, resumed: true });
  session.send('after-online');
  await until(page, () => (window as any).h.messages.length === 1);
  expect(await page.evaluate(() => (window as any).h.texts())).toEqual(['after-online']);
  expect(failures(await settledSends(page))).toEqual([]);
  expect(cx.texts()).toEqual(numbered('while-offline:', 3));
});

test("6b. the browser's own offline/online (context.setOffline): dead link found by the probe, attempt within 500 ms of online", async ({ open, cx, context }) => {
  cx.echo = false;
  const page = await open('esm');
  await page.evaluate((url) => {
    const h = (window as any).h;
    h.network = [];
    addEventListener('offline', () => h.network.push({ type: 'offline', t: performance.now() }));
    addEventListener('online', () => h.network.push({ type: 'online', t: performance.now() }));
    return h.connect(url, { randomFixed: 0.99 });
  }, cx.url);
  await until(page, () => (window as any).h.of('open').length === 1);
  const session = await cx.onlySession();
  await cx.stream(session, 10, { prefix: 'm:' });
  await until(page, () => (window as any).h.messages.length === 10);

  // Offline: Chromium holds the open socket's frames (it does not close it), so only the
  // adapter's probe on `offline` can find the link dead (within its 3 s), and attempts fail.
  await context.setOffline(true);
  await cx.stream(session, 10, { prefix: 'm:', from: 11 });
  await page.evaluate(() => (window as any).h.sendMany('up:', 1, 3, 3, 0));
  const dead = await until(page, () => (window as any).h.of('close')[0], 5000, 'the probe to declare the link dead');
  const offline = await page.evaluate(() => (window as any).h.network.find((e: { type: string }) => e.type === 'offline'));
  expect(offline, 'Chromium fired `offline`').toBeTruthy();
  expect(dead.code).toBe(4408);
  expect(dead.t - offline.t).toBeLessThan(3000 + 500);
  await page.waitForTimeout(1200); // a failed attempt or two; the next waits out a backoff step
  const before = await page.evaluate(() => ({ sockets: (window as any).h.sockets.length, retry: (window as any).h.of('retry').at(-1), now: performance.now() }));
  expect(before.retry.t + before.retry.delayMs - before.now, 'backoff time left when online').toBeGreaterThan(500);

  await context.setOffline(false);
  const online = await until(page, () => (window as any).h.network.find((e: { type: string }) => e.type === 'online'), 5000, '`online`');
  const socket = await until(page, (n) => (window as any).h.sockets[n], 2000, 'an attempt after `online`', before.sockets);
  test.info().annotations.push({ type: 'online → attempt', description: `${(socket.t - online.t).toFixed(1)} ms` });
  expect(socket.t - online.t).toBeLessThanOrEqual(500);

  await until(page, () => (window as any).h.messages.length >= 20, 10_000, 'the messages sent while offline');
  expect(failures(await settledSends(page))).toEqual([]);
  expect(await page.evaluate(() => (window as any).h.texts())).toEqual(numbered('m:', 20));
  expect(await page.evaluate(() => (window as any).h.of('session').slice(1).every((s: { id: string; resumed: boolean }) => s.resumed && s.id === (window as any).h.of('session')[0].id))).toBe(true);
  expect(cx.texts()).toEqual(numbered('up:', 3));
});
