// Scenarios 1 and 2: the script-tag IIFE and a bundler's ESM build each connect
// and exchange text and binary messages both ways through the real server.
import { expect, fastClient, test, until } from '../fixtures/test.js';

for (const kind of ['iife', 'esm'] as const) {
  test(`${kind === 'iife' ? '1. <script> IIFE' : '2. ESM bundle'}: connects, exchanges text and binary both ways`, async ({ open, cx }) => {
    const page = await open(kind);
    const exported = await page.evaluate(() => {
      const ns = (window as any).h.ns;
      return ['Client', 'ReconnectingWebSocket', 'ContinuumError'].filter((k) => typeof ns[k] === 'function');
    });
    expect(exported).toEqual(['Client', 'ReconnectingWebSocket', 'ContinuumError']);
    if (kind === 'iife') expect(await page.evaluate(() => typeof (window as any).Continuum?.Client)).toBe('function');

    await page.evaluate(([url, o]) => (window as any).h.connect(url, o), [cx.url, fastClient] as const);
    await until(page, () => (window as any).h.of('open').length === 1);
    const session = await cx.onlySession();

    // page → server (echoed back): text, binary, non-ASCII text
    await page.evaluate(() => {
      const h = (window as any).h;
      h.send('hello from the page');
      h.send(null, [0, 1, 2, 253, 254, 255]);
      h.send(null, null, 'a Blob'); // read asynchronously, yet kept in send() order
      h.send('ünïcödé ✓ 🚀');
    });
    // server → page: text and binary pushed by the app
    session.send('pushed by the server');
    session.send(new Uint8Array([9, 8, 7]));

    await until(page, () => (window as any).h.messages.length === 6);
    const { messages, sends, sessions, sockets } = await page.evaluate(() => {
      const h = (window as any).h;
      return { messages: h.messages, sends: h.sends, sessions: h.of('session'), sockets: h.sockets.length };
    });
    // The server handled them in order; the echoes and the pushes arrive in the server's order.
    expect(cx.received.map((r) => (typeof r.data === 'string' ? r.data : `bin:${Buffer.from(r.data).toString('hex')}`))).toEqual([
      'hello from the page',
      'bin:000102fdfeff',
      `bin:${Buffer.from('a Blob').toString('hex')}`,
      'ünïcödé ✓ 🚀',
    ]);
    expect(new Set(messages.map((m: { data: string }) => m.data))).toEqual(
      new Set(['hello from the page', 'bin:000102fdfeff', `bin:${Buffer.from('a Blob').toString('hex')}`, 'ünïcödé ✓ 🚀', 'pushed by the server', 'bin:090807']),
    );
    // Sequence numbers: 1..6, once each, in order.
    expect(messages.map((m: { seq: number }) => m.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(sends).toHaveLength(4);
    await until(page, () => (window as any).h.sends.every((s: string) => s === 'ok'));
    // A first session: not a resume, and nothing lost (no previousId, no gap).
    expect(sessions).toEqual([{ type: 'session', id: session.id, resumed: false, t: expect.any(Number), at: expect.any(Number) }]);
    expect(sockets).toBe(1);
  });
}
