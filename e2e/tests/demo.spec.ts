// The demo (`pnpm start`, examples/demo) as a visitor sees it: two browsers chat, one
// presses "Drop connection" (the fault proxy resets every link), both keep chatting, and
// every message either side sent shows exactly once, in order, in both. The screenshot
// the README shows is taken here (docs/demo.png: written when missing, or refreshed with
// UPDATE_SCREENSHOTS=1; every run also leaves a copy in test-results/).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const screenshot = join(root, 'docs', 'demo.png');

let demo: ChildProcess | undefined;
let origin = '';

/** Starts examples/demo/server.mjs on free ports and resolves with the page's origin. */
function startDemo(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'examples', 'demo', 'server.mjs')], {
      cwd: root,
      env: { ...process.env, PORT: '0', PROXY_PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo = child;
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the demo did not start within 10 s:\n${out}`)), 10_000);
    const onData = (chunk: Buffer) => {
      out += chunk;
      const match = /Continuum demo: http:\/\/[^:]+:(\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${match[1]}`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => void (out += chunk));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code}:\n${out}`));
    });
  });
}

test.beforeAll(async () => {
  origin = await startDemo();
});

test.afterAll(async () => {
  const child = demo;
  if (!child || child.exitCode !== null) return;
  // SIGTERM: the demo's graceful shutdown; SIGKILL if it hangs.
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
});

/** Messages confirmed by the room (not pending) as the page shows them: `name: text`, top to bottom. */
const shown = (page: Page) =>
  page.$$eval('#messages li', (items) => items.map((li) => `${li.querySelector('b')!.textContent}: ${li.childNodes[1]!.textContent}`));

async function say(page: Page, text: string): Promise<void> {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
}

test('two browsers chat across a dropped connection: every message once, in order, in both', async ({ browser }) => {
  // Two browser contexts, a reconnect and a screenshot: more than the suite's 30 s on a busy CI machine.
  test.setTimeout(60_000);
  const contexts = await Promise.all([
    browser.newContext({ viewport: { width: 1180, height: 860 } }),
    browser.newContext({ viewport: { width: 390, height: 844 } }),
  ]);
  const [alice, bob] = await Promise.all(contexts.map((c) => c.newPage()));
  const errors: string[] = [];
  for (const page of [alice, bob]) page.on('pageerror', (error) => errors.push(error.stack ?? error.message));

  try {
    for (const [page, name] of [[alice, 'alice'], [bob, 'bob']] as const) {
      await page.goto(origin);
      await page.fill('#name', name);
      await expect(page.locator('#badge')).toHaveText('open');
      // The page loaded the SDK with a script tag.
      expect(await page.evaluate(() => typeof (window as any).Continuum?.Client)).toBe('function');
    }

    const sent: Record<'alice' | 'bob', string[]> = { alice: [], bob: [] };
    const chat = async (page: Page, who: 'alice' | 'bob', text: string) => {
      sent[who].push(`${who}: ${text}`);
      await say(page, text);
    };
    await chat(alice, 'alice', 'hi bob');
    await chat(bob, 'bob', 'hi alice');
    await chat(alice, 'alice', 'watch this: I will drop our connections');
    await chat(bob, 'bob', 'go ahead');
    for (const page of [alice, bob]) await expect(page.locator('#messages li')).toHaveCount(4);

    // Each page posts two messages the moment its socket drops: they cannot go out until
    // the session is resumed, so they wait in the outbox. Recorded to prove it.
    for (const [page, who] of [[alice, 'alice'], [bob, 'bob']] as const) {
      await page.evaluate((who) => {
        const { client, room } = (window as any).demo;
        const w = window as any;
        const off = client.on('close', () => {
          off();
          room.post(who, 'typed while the link was down (1)');
          room.post(who, 'typed while the link was down (2)');
          // The state changes right after the close event: read it once that is done.
          const outbox = client.stats().outboxMessages;
          setTimeout(() => (w.duringDrop = { state: client.state, outbox }), 0);
        });
      }, who);
      sent[who].push(`${who}: typed while the link was down (1)`, `${who}: typed while the link was down (2)`);
    }

    const before = await (await alice.request.get(`${origin}/health`)).json();
    await alice.click('#btn-drop');
    await chat(alice, 'alice', 'did you get everything?');
    await chat(bob, 'bob', 'every message, once');

    const total = sent.alice.length + sent.bob.length;
    for (const page of [alice, bob]) {
      await expect(page.locator('#messages li')).toHaveCount(total);
      await expect(page.locator('#pending li')).toHaveCount(0);
    }

    // The precondition really held: the proxy reset both links, both clients were
    // disconnected with messages waiting, and both resumed their sessions.
    const after = await (await alice.request.get(`${origin}/health`)).json();
    expect(after.proxy.resets - before.proxy.resets).toBeGreaterThanOrEqual(2);
    for (const page of [alice, bob]) {
      const during = await page.evaluate(() => (window as any).duringDrop);
      expect(during.state).not.toBe('open');
      expect(during.outbox).toBeGreaterThanOrEqual(2);
      const facts = await page.evaluate(() => {
        const { client, room } = (window as any).demo;
        return { ...client.stats(), duplicates: room.stats.duplicates, gaps: room.stats.gaps };
      });
      expect(facts.reconnects).toBeGreaterThanOrEqual(1);
      expect(facts.resumes).toBeGreaterThanOrEqual(1);
      expect(facts.sessionsLost).toBe(0);
      expect(facts.duplicates).toBe(0);
      expect(facts.gaps).toBe(0);
      await expect(page.locator('#c-resumed')).toHaveText('true');
    }

    // Exactly once, in order: both pages show the same list, every message sent appears
    // once, and each sender's messages keep the order they were sent in.
    const [a, b] = [await shown(alice), await shown(bob)];
    expect(b).toEqual(a);
    expect([...a].sort()).toEqual([...sent.alice, ...sent.bob].sort());
    for (const who of ['alice', 'bob'] as const) {
      expect(a.filter((line) => line.startsWith(`${who}: `))).toEqual(sent[who]);
    }

    // A few dashboard samples, then the README's picture.
    await expect(alice.locator('#m-sessions')).not.toHaveText('–');
    await alice.waitForTimeout(1500);
    await alice.locator('#text').blur();
    const image = await alice.screenshot({ path: test.info().outputPath('demo.png') });
    if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(screenshot)) {
      const { writeFileSync, mkdirSync } = await import('node:fs');
      mkdirSync(dirname(screenshot), { recursive: true });
      writeFileSync(screenshot, image);
    }
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
  expect(errors, 'uncaught errors in the demo page').toEqual([]);
});
