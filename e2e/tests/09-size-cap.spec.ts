// Scenario 9: a message over the size cap. The server advertises maxMessageBytes
// (64 KiB in the fixture) in its welcome; a larger send() rejects MESSAGE_TOO_LARGE
// on the page, before anything is written, and the connection and the messages
// around it carry on. Sizes are UTF-8 bytes, not string lengths.
import { expect, fastClient, settledSends, test, until } from '../fixtures/test.js';
import { fastServerOptions } from '../fixtures/stack.js';

const LIMIT = fastServerOptions.maxMessageBytes;

test('9a. over the advertised limit: MESSAGE_TOO_LARGE locally; the link and the other messages survive', async ({ open, cx }) => {
  cx.echo = false;
  const page = await open('iife');
  await page.evaluate(([url, o]) => (window as any).h.connect(url, o), [cx.url, fastClient] as const);
  await until(page, () => (window as any).h.of('open').length === 1);
  await cx.onlySession();

  const outcome = await page.evaluate(async (limit) => {
    const h = (window as any).h;
    const bytesBefore = h.stats().bytesOut;
    h.send('before');
    h.send(null, new Array(limit).fill(7)); // exactly the limit: fine
    const tooBigBinary = h.send(null, new Array(limit + 1).fill(7));
    const tooBigText = h.send('x'.repeat(limit + 1));
    // 21,846 characters, 65,538 bytes of UTF-8: over, though shorter than the limit in length.
    const tooBigUtf8 = h.send('€'.repeat(Math.ceil((limit + 1) / 3)));
    h.send('after');
    const error = await h.client.send('y'.repeat(limit + 1)).catch((e: any) => ({ code: e.code, message: e.message, name: e.name }));
    return { tooBigBinary, tooBigText, tooBigUtf8, error, bytesBefore };
  }, LIMIT);
  const sends = await settledSends(page);
  expect(sends).toEqual(['ok', 'ok', 'MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE', 'ok']);
  expect(outcome.error).toMatchObject({ code: 'MESSAGE_TOO_LARGE', message: expect.stringContaining(String(LIMIT)) });

  // The server got exactly the others, in order; the link never dropped.
  expect(cx.received.map((r) => (typeof r.data === 'string' ? r.data : `${r.data.length} bytes`))).toEqual(['before', `${LIMIT} bytes`, 'after']);
  const after = await page.evaluate(() => {
    const h = (window as any).h;
    return { sockets: h.sockets.length, closes: h.of('close').length, state: h.client.state, bytesOut: h.stats().bytesOut };
  });
  expect(after).toMatchObject({ sockets: 1, closes: 0, state: 'open' });
  // Nothing of the refused messages went out: well under 2 × the limit was written.
  expect(after.bytesOut - outcome.bytesBefore).toBeLessThan(LIMIT + 1024);
});

test('9b. accepted while connecting, over the limit the welcome then advertises: rejected then, not sent', async ({ open, cx }) => {
  cx.echo = false;
  const page = await open('esm');
  // Before the welcome the client only knows its own limit (1 MiB): 100 KiB is accepted.
  await page.evaluate(([url, o]) => (window as any).h.connect(url, { ...o, autoConnect: false }), [cx.url, fastClient] as const);
  await page.evaluate(() => {
    const h = (window as any).h;
    h.send('first');
    h.send('z'.repeat(100 * 1024));
    h.send('last');
    h.client.connect();
  });
  const sends = await settledSends(page);
  expect(sends).toEqual(['ok', 'MESSAGE_TOO_LARGE', 'ok']);
  expect(cx.texts()).toEqual(['first', 'last']);
  const after = await page.evaluate(() => {
    const h = (window as any).h;
    return { sockets: h.sockets.length, closes: h.of('close').length, state: h.client.state };
  });
  expect(after).toEqual({ sockets: 1, closes: 0, state: 'open' });
});
