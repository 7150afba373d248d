// The everyday API from the script-tag bundle: objects through `codec: 'json'`,
// volatile sends, and a draining close — the same Client as in Node.
import { expect, test, until } from '../fixtures/test.js';

test('11. IIFE: codec json both ways, volatile sends, close({ drain })', async ({ open, cx }) => {
  const page = await open('iife');
  await page.evaluate((url) => {
    const w = window as any;
    w.got = [];
    w.errors = [];
    w.c = new w.Continuum.Client(url, { codec: 'json', backoff: { maxMs: 250 } });
    w.c.on('message', (value: unknown, meta: { seq: number; volatile?: boolean }) => w.got.push({ value, seq: meta.seq, volatile: !!meta.volatile }));
    w.c.on('error', (e: { code: string }) => w.errors.push(e.code));
  }, cx.url);
  await until(page, () => (window as any).c.state === 'open');
  const session = await cx.onlySession();

  // Objects both ways; the echo of the fixture sends the JSON text back.
  const sent = await page.evaluate(() => (window as any).c.send({ cursor: { x: 1, y: 2 }, text: 'ü ✓' }).then(() => 'ok'));
  expect(sent).toBe('ok');
  expect(cx.texts()).toEqual(['{"cursor":{"x":1,"y":2},"text":"ü ✓"}']);
  session.send(JSON.stringify({ from: 'server', n: 7 }), { volatile: true });
  await until(page, () => (window as any).got.length === 2);
  expect(await page.evaluate(() => (window as any).got)).toEqual([
    { value: { cursor: { x: 1, y: 2 }, text: 'ü ✓' }, seq: 1, volatile: false },
    { value: { from: 'server', n: 7 }, seq: 0, volatile: true },
  ]);

  // A volatile send from the page is written now, never acknowledged or queued.
  cx.echo = false;
  const volatile = await page.evaluate(() => (window as any).c.send({ typing: true }, { volatile: true }).then(() => 'written'));
  expect(volatile).toBe('written');
  await expect.poll(() => cx.texts().at(-1)).toBe('{"typing":true}');

  // close({ drain }) waits for the acknowledgements of what was accepted, then closes.
  const drained = await page.evaluate(async () => {
    const c = (window as any).c;
    const results: string[] = [];
    const sends = [1, 2, 3].map((n) => c.send({ n }).then(() => results.push(`ack ${n}`)));
    await c.close({ drain: true, timeoutMs: 5000 });
    results.push(`closed ${c.state}`);
    await Promise.all(sends);
    // Offline now: a volatile send is refused, not queued.
    const offline = await c.send({ late: true }, { volatile: true }).then(() => 'written', (e: { code: string }) => e.code);
    return { results, offline };
  });
  expect(drained.results).toEqual(['ack 1', 'ack 2', 'ack 3', 'closed closed']);
  expect(drained.offline).toBe('CLIENT_CLOSED');
  expect(cx.texts().slice(-3)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
  expect(await page.evaluate(() => (window as any).errors)).toEqual([]);
});
