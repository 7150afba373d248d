// The drop-in `Continuum.ReconnectingWebSocket` in Chromium, against a plain `ws`
// server (it knows nothing of Continuum): listeners and binaryType survive a
// reconnect, messages sent while down go out in order, and close() emits exactly one
// close event and stops.
import type { Page } from '@playwright/test';
import { expect, test, until } from '../fixtures/test.js';
import { sleep } from '../fixtures/stack.js';

/** Creates `window.rws` with a log of every event the app would see. */
async function createRws(page: Page, url: string, setup: { binaryType?: string } = {}) {
  await page.evaluate(
    ([url, binaryType]) => {
      const h = (window as any).h;
      const ws = new h.ns.ReconnectingWebSocket(url, [], { backoff: { maxMs: 250 } });
      if (binaryType) ws.binaryType = binaryType;
      const log: string[] = [];
      // Listeners registered once, before the first connection.
      ws.addEventListener('open', () => log.push('open'));
      ws.addEventListener('message', (e: { data: unknown }) => log.push(`message ${h.describe(e.data)}`));
      ws.addEventListener('close', (e: { code: number; reason: string }) => log.push(`close ${e.code} ${e.reason}`.trim()));
      ws.onerror = () => log.push('error');
      (window as any).rws = ws;
      (window as any).rwsLog = log;
    },
    [url, setup.binaryType ?? ''] as const,
  );
}
const log = (page: Page) => page.evaluate(() => (window as any).rwsLog as string[]);
const count = (page: Page, entry: string) => page.evaluate((e) => (window as any).rwsLog.filter((x: string) => x === e).length, entry);

test('drop-in: listeners and binaryType survive a reconnect', async ({ open, plain }) => {
  const page = await open('iife');
  await createRws(page, `${plain.url}/echo`, { binaryType: 'arraybuffer' });
  await until(page, () => (window as any).rwsLog.includes('open'));
  await page.evaluate(() => {
    (window as any).rws.send('one');
    (window as any).rws.send(new Uint8Array([1, 2, 3]));
  });
  await until(page, () => (window as any).rwsLog.filter((x: string) => x.startsWith('message')).length === 2);

  plain.proxy.cut();
  await until(page, () => (window as any).rwsLog.filter((x: string) => x === 'open').length === 2, 5000, 'the reconnect');
  await page.evaluate(() => {
    (window as any).rws.send('two');
    (window as any).rws.send(new Uint8Array([4, 5]).buffer);
  });
  await until(page, () => (window as any).rwsLog.filter((x: string) => x.startsWith('message')).length === 4);
  const entries = (await log(page)).filter((x) => x !== 'error');
  // The same listeners got everything; binary kept arriving as ArrayBuffer (ab:) after the reconnect.
  expect(entries).toEqual(['open', 'message one', 'message ab:010203', expect.stringMatching(/^close 10(05|06)/), 'open', 'message two', 'message ab:0405']);
  expect(await page.evaluate(() => (window as any).rws.binaryType)).toBe('arraybuffer');
  expect(plain.connections()).toBe(2);
});

test("drop-in: binaryType defaults to 'blob', as a WebSocket's does", async ({ open, plain }) => {
  const page = await open('esm');
  await createRws(page, `${plain.url}/echo`);
  await until(page, () => (window as any).rwsLog.includes('open'));
  expect(await page.evaluate(() => (window as any).rws.binaryType)).toBe('blob');
  await page.evaluate(() => (window as any).rws.send(new Uint8Array([9, 9, 9, 9])));
  await until(page, () => (window as any).rwsLog.some((x: string) => x.startsWith('message')));
  expect((await log(page)).filter((x) => x.startsWith('message'))).toEqual(['message blob:4']);
});

test('drop-in: messages sent while disconnected go out once, in order, after the reconnect', async ({ open, plain }) => {
  const page = await open('iife');
  await createRws(page, `${plain.url}/sink`);
  await until(page, () => (window as any).rwsLog.includes('open'));
  await page.evaluate(() => (window as any).rws.send('q:0'));
  await expect.poll(() => plain.received.length).toBe(1);

  plain.proxy.refuse();
  plain.proxy.reset();
  await until(page, () => (window as any).rwsLog.some((x: string) => x.startsWith('close')));
  // Down: text, binary and a Blob are queued, in this order.
  const state = await page.evaluate(() => {
    const ws = (window as any).rws;
    for (let i = 1; i <= 20; i++) ws.send(`q:${i}`);
    ws.send(new Uint8Array([21]));
    ws.send(new Blob(['q:22']));
    for (let i = 23; i <= 30; i++) ws.send(`q:${i}`);
    return { readyState: ws.readyState, bufferedAmount: ws.bufferedAmount };
  });
  expect(state.readyState).toBe(0); // CONNECTING: retrying
  expect(state.bufferedAmount).toBeGreaterThan(0);
  plain.proxy.restore();

  await expect.poll(() => plain.received.length, { timeout: 5000 }).toBe(31);
  const received = plain.received.map((d) => (typeof d === 'string' ? d : `bin:${Buffer.from(d).toString()}`));
  expect(received).toEqual([
    'q:0',
    ...Array.from({ length: 20 }, (_, i) => `q:${i + 1}`),
    `bin:${String.fromCharCode(21)}`,
    'bin:q:22',
    ...Array.from({ length: 8 }, (_, i) => `q:${i + 23}`),
  ]);
  expect(await page.evaluate(() => (window as any).rws.bufferedAmount)).toBe(0);
});

test('drop-in: close() emits exactly one close event and stops, open or reconnecting', async ({ open, plain }) => {
  const page = await open('iife');
  // Open: one close event with the app's code and reason.
  await createRws(page, `${plain.url}/echo`);
  await until(page, () => (window as any).rwsLog.includes('open'));
  await page.evaluate(() => (window as any).rws.close(1000, 'done'));
  await until(page, () => (window as any).rwsLog.some((x: string) => x.startsWith('close')));
  await sleep(800);
  expect(await log(page)).toEqual(['open', 'close 1000 done']);
  expect(await page.evaluate(() => (window as any).rws.readyState)).toBe(3);
  expect(plain.connections()).toBe(1);

  // Reconnecting (server unreachable): the socket's own close, then exactly one for close().
  plain.proxy.refuse();
  await createRws(page, `${plain.url}/echo`);
  await until(page, () => (window as any).rwsLog.some((x: string) => x.startsWith('close')), 5000);
  await page.evaluate(() => (window as any).rws.close(4000, 'giving up'));
  await sleep(800);
  const entries = (await log(page)).filter((x) => x !== 'error');
  expect(entries.filter((x) => x === 'close 4000 giving up')).toHaveLength(1);
  expect(entries.at(-1)).toBe('close 4000 giving up');
  expect(await count(page, 'open')).toBe(0);
  const attempts = plain.proxy.stats().refused;
  await sleep(600);
  expect(plain.proxy.stats().refused, 'no attempt after close()').toBe(attempts);
});
