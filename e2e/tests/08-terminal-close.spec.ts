// Scenario 8: closes that mean "stop" — a policy violation, an auth refusal, an app
// code in the 4400–4999 band — end reconnecting. The page sees the code and reason,
// what arrived before the close is delivered, and no further socket is opened
// (with backoff capped at 250 ms, a reconnect would show within the wait).
import type { Page } from '@playwright/test';
import { expect, fastClient, test, until } from '../fixtures/test.js';
import { sleep } from '../fixtures/stack.js';

/** After the close: wait well past any backoff delay, then report what the page saw. */
async function afterStop(page: Page) {
  await until(page, () => (window as any).h.client.state === 'closed', 5000, "the client's state to be closed");
  await sleep(1000);
  return page.evaluate(() => {
    const h = (window as any).h;
    return {
      sockets: h.sockets.length,
      state: h.client.state,
      closes: h.of('close').map(({ code, reason, willReconnect }: any) => ({ code, reason, willReconnect })),
      errors: h.of('error').map((e: { code: string }) => e.code),
      retries: h.of('retry').length,
      texts: h.texts(),
    };
  });
}

test('8a. 4403 (authenticate: forbidden) stops with AUTH_FORBIDDEN', async ({ open, cx }) => {
  const page = await open('iife');
  await page.evaluate(([url, o]) => (window as any).h.connect(url, { ...o, token: 'forbidden' }), [cx.url, fastClient] as const);
  const seen = await afterStop(page);
  expect(seen.closes).toEqual([{ code: 4403, reason: 'this account may not connect', willReconnect: false }]);
  expect(seen.errors).toEqual(['AUTH_FORBIDDEN']);
  expect(seen).toMatchObject({ sockets: 1, retries: 0, state: 'closed' });
});

test('8b. 4401 with a static token stops with AUTH_EXPIRED (no provider could supply a new one)', async ({ open, cx }) => {
  const page = await open('iife');
  await page.evaluate(([url, o]) => (window as any).h.connect(url, { ...o, token: 'expired' }), [cx.url, fastClient] as const);
  const seen = await afterStop(page);
  expect(seen.closes).toEqual([{ code: 4401, reason: 'token expired', willReconnect: false }]);
  expect(seen.errors).toEqual(['AUTH_EXPIRED']);
  expect(seen).toMatchObject({ sockets: 1, retries: 0, state: 'closed' });
});

test('8c. 1008 policy violation stops; the page sees code and reason', async ({ open, plain }) => {
  const page = await open('iife');
  await page.evaluate(([url, o]) => (window as any).h.connect(url, o), [`${plain.url}/close/1008/${encodeURIComponent('policy violation: banned')}`, fastClient] as const);
  const seen = await afterStop(page);
  expect(seen.closes).toEqual([{ code: 1008, reason: 'policy violation: banned', willReconnect: false }]);
  expect(seen).toMatchObject({ sockets: 1, retries: 0, state: 'closed' });
  expect(plain.connections()).toBe(1);
});

for (const sameTurn of [false, true]) {
  const title = sameTurn
    ? '8e. session.close() in the same turn as send(): the messages still arrive before the close'
    : '8d. the server app ends the session with 4409: messages sent before it arrive, then no reconnect';
  test(title, async ({ open, cx }) => {
    // 8e guards a fixed server bug: Session.end() used to drop the link before the
    // microtask that flushes this turn's sends had run, so those messages were lost.
    const page = await open('esm');
    await page.evaluate(([url, o]) => (window as any).h.connect(url, o), [cx.url, fastClient] as const);
    await until(page, () => (window as any).h.of('open').length === 1);
    const session = await cx.onlySession();
    session.send('last words 1');
    session.send('last words 2');
    if (!sameTurn) await new Promise((resolve) => setImmediate(resolve));
    session.close(4409, 'kicked by an admin');
    const seen = await afterStop(page);
    expect(seen.texts).toEqual(['last words 1', 'last words 2']);
    expect(seen.closes).toEqual([{ code: 4409, reason: 'kicked by an admin', willReconnect: false }]);
    expect(seen).toMatchObject({ sockets: 1, retries: 0, state: 'closed' });
    // A send after the stop is refused as documented, not queued forever.
    const after = await page.evaluate(() => (window as any).h.client.send('too late').then(() => 'ok', (e: { code: string }) => e.code));
    expect(after).toBe('CLIENT_CLOSED');
  });
}
