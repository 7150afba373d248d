// Scenario 7: a background tab. Chromium throttles a hidden page's timers (to one
// wake-up a second at once, then — with the grace period cut to 1 s — once a
// minute). The client's liveness must not depend on its timers firing on time: the
// server's pings and inbound traffic keep the link alive, so a hidden page streams on
// with no reconnect and nothing lost.
//
// The test proves its precondition (CONTRACT): the page reports `document.hidden`,
// and a 100 ms setInterval in it really fired at most about once a second.
import type { Page } from '@playwright/test';
import { expect, failures, numbered, settledSends, test, until } from '../fixtures/test.js';
import { launchHideableBrowser, type HideableBrowser } from '../fixtures/hideable-browser.js';
import { fastServerOptions, sleep, type ContinuumStack, type Site } from '../fixtures/stack.js';

async function loadHarness(page: Page, origin: string, errors: string[]) {
  page.on('pageerror', (error) => errors.push(error.stack ?? error.message));
  await page.goto(`${origin}/iife.html`);
  await page.waitForFunction(() => (window as any).h !== undefined);
  // The precondition meters: a 100 ms interval's ticks, and every visibility change.
  await page.evaluate(() => {
    const h = (window as any).h;
    h.ticks = [];
    h.visibility = [];
    h.lifecycle = [];
    setInterval(() => h.ticks.push(performance.now()), 100);
    document.addEventListener('visibilitychange', () => h.visibility.push({ state: document.visibilityState, t: performance.now() }));
    document.addEventListener('freeze', () => h.lifecycle.push({ type: 'freeze', t: performance.now() }));
    document.addEventListener('resume', () => h.lifecycle.push({ type: 'resume', t: performance.now() }));
  });
}

/**
 * Runs `body` in a hideable browser whose page has the harness loaded (test timeout
 * 45 s, the server does not echo); `errors` collects the page's errors. Afterwards,
 * whatever happened, closes the page's client and the browser.
 */
async function withHarnessInHideableBrowser(
  site: Site,
  cx: ContinuumStack,
  body: (browser: HideableBrowser, errors: string[]) => Promise<void>,
): Promise<void> {
  test.setTimeout(45_000);
  cx.echo = false;
  const browser = await launchHideableBrowser();
  const errors: string[] = [];
  try {
    await loadHarness(browser.page, site.origin, errors);
    await body(browser, errors);
  } finally {
    await browser.page.evaluate(() => (window as any).h?.client?.close()).catch(() => {});
    await browser.close();
  }
}

test('7. background tab: throttled timers cause no reconnect, nothing is lost', async ({ site, cx }) => {
  await withHarnessInHideableBrowser(site, cx, async (browser, errors) => {
    const { page } = browser;
    // Watchdog: inbound silence of (500 ms server ping + 300 ms) means dead. Shorter than
    // a throttled timer's period, so every watchdog timer of the hidden page fires late.
    const timeoutMs = 300;
    const deadAfterMs = fastServerOptions.pingMs + timeoutMs;
    await page.evaluate(([url, t]) => (window as any).h.connect(url, { backoff: { maxMs: 250 }, heartbeat: { timeoutMs: t } }), [cx.url, timeoutMs] as const);
    await until(page, () => (window as any).h.of('open').length === 1);
    const session = await cx.onlySession();
    await sleep(300);

    await browser.hide();
    const start = await page.evaluate(() => ({ t: performance.now(), hidden: document.hidden, state: document.visibilityState }));
    expect(start, 'the page is hidden').toEqual({ t: expect.any(Number), hidden: true, state: 'hidden' });

    // ~4 s hidden: the server streams 400 messages; the page sends one every 0.5 s
    // (from the test, as a user action or a message handler would, not from a timer).
    for (let i = 0; i < 8; i++) {
      await cx.stream(session, 50, { prefix: 'bg:', from: i * 50 + 1, chunk: 10, everyMs: 100 });
      await page.evaluate((n) => (window as any).h.send(`bg-up:${n}`), i + 1);
    }
    const end = await page.evaluate(() => ({ t: performance.now(), hidden: document.hidden, ticks: (window as any).h.ticks as number[] }));
    await browser.show();

    // Precondition: hidden all along, and timers throttled.
    expect(end.hidden, 'still hidden at the end').toBe(true);
    const visibility = await page.evaluate(() => (window as any).h.visibility);
    expect(visibility.filter((v: { t: number }) => v.t > start.t && v.t < end.t), 'no visibility change while hidden').toEqual([]);
    const hiddenMs = end.t - start.t;
    const ticks = end.ticks.filter((t) => t > start.t && t <= end.t);
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]);
    const longestGap = Math.max(end.t - (ticks.at(-1) ?? start.t), ...gaps, (ticks[0] ?? end.t) - start.t);
    test.info().annotations.push({
      type: 'throttling',
      description: `hidden ${Math.round(hiddenMs)} ms: ${ticks.length} ticks of a 100 ms interval (unthrottled ≈ ${Math.round(hiddenMs / 100)}), longest gap ${Math.round(longestGap)} ms; watchdog ${deadAfterMs} ms`,
    });
    expect(hiddenMs, "hidden long enough for several throttled periods").toBeGreaterThan(3000);
    expect(ticks.length, 'a 100 ms interval fired at most about once a second').toBeLessThanOrEqual(Math.ceil(hiddenMs / 1000) + 1);
    expect(longestGap, 'timers fired later than the watchdog period').toBeGreaterThan(deadAfterMs);

    // No reconnect, no heartbeat failure; every message once, in order.
    await until(page, () => (window as any).h.messages.length >= 400, 10_000, 'all 400 messages');
    expect(failures(await settledSends(page))).toEqual([]);
    const seen = await page.evaluate(() => {
      const h = (window as any).h;
      return { sockets: h.sockets.length, closes: h.of('close'), errors: h.of('error'), texts: h.texts(), stats: h.stats() };
    });
    expect(seen.closes).toEqual([]);
    expect(seen.errors).toEqual([]);
    expect(seen.sockets).toBe(1);
    expect(seen.stats.reconnects).toBe(0);
    expect(seen.texts).toEqual(numbered('bg:', 400));
    expect(cx.texts()).toEqual(numbered('bg-up:', 8));
    expect(errors).toEqual([]);
  });
});

test('7b. frozen tab: the browser drops the socket on freeze; on resume the page resumes with nothing lost', async ({ site, cx }) => {
  await withHarnessInHideableBrowser(site, cx, async (browser, errors) => {
    const { page } = browser;
    await page.evaluate((url) => (window as any).h.connect(url, { backoff: { maxMs: 250 }, heartbeat: { timeoutMs: 300 } }), cx.url);
    await until(page, () => (window as any).h.of('open').length === 1);
    const session = await cx.onlySession();
    await cx.stream(session, 50, { prefix: 'fz:' });
    await until(page, () => (window as any).h.messages.length === 50);

    // Frozen (as Chrome does to background tabs to save power): no task runs at all.
    await browser.hide();
    await browser.setLifecycle('frozen');
    await cx.stream(session, 100, { prefix: 'fz:', from: 51, chunk: 10, everyMs: 100 });
    await sleep(1000);
    await browser.setLifecycle('active');
    await browser.show();

    await until(page, () => (window as any).h.messages.length >= 150, 10_000, 'the messages sent while frozen');
    const seen = await page.evaluate(() => {
      const h = (window as any).h;
      return {
        lifecycle: h.lifecycle.map((e: { type: string }) => e.type),
        texts: h.texts(),
        sessions: h.of('session'),
        seqs: h.messages.map((m: { seq: number }) => m.seq),
        closes: h.of('close').map((e: { code: number; reason: string }) => `${e.code} ${e.reason}`),
        errors: h.of('error').map((e: { code: string }) => e.code),
      };
    });
    test.info().annotations.push({ type: 'after resume', description: `closes [${seen.closes.join('; ')}], errors [${seen.errors.join(', ')}], sessions ${seen.sessions.length}` });
    // Precondition: the page really was frozen and resumed.
    expect(seen.lifecycle).toEqual(['freeze', 'resume']);
    expect(seen.texts).toEqual(numbered('fz:', 150));
    expect(seen.seqs).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    // Any reconnect was a resume of the same session, with no gap.
    for (const s of seen.sessions.slice(1)) expect(s).toMatchObject({ id: session.id, resumed: true });
    expect(seen.sessions.slice(1).every((s: { gap?: unknown }) => s.gap === undefined)).toBe(true);
    // And the page still works both ways.
    await page.evaluate(() => (window as any).h.send('after-freeze'));
    expect(failures(await settledSends(page))).toEqual([]);
    expect(cx.texts()).toEqual(['after-freeze']);
    expect(errors).toEqual([]);
  });
});
