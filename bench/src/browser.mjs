// The browser phase's Node side: Debian's Chromium through Playwright (never a
// downloaded browser), the static server of the page, and CPU readings of Chromium's
// processes over CDP. The phase itself (repetitions, servers, results) is in main.mjs.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumArgs, chromiumPath } from '../../scripts/chromium.mjs';

const here = dirname(fileURLToPath(import.meta.url));

export { chromiumArgs, chromiumPath };

/** The stacks of the browser phase, in report order; `server` is the server-proc stack. */
export const BROWSER_STACKS = {
  ws: { label: 'plain browser WebSocket → ws server', server: 'ws' },
  'continuum-rws': { label: 'Continuum ReconnectingWebSocket → ws server', server: 'ws' },
  continuum: { label: 'Continuum Client → @continuum/server', server: 'continuum' },
};

/** Launches headless Chromium from `chromiumPath`; throws a clear error when it cannot start. */
export async function launchChromium() {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath} (Debian: apt-get install -y chromium; or set CHROMIUM_PATH)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright'));
  } catch (error) {
    throw new Error(`cannot load playwright from bench/ (pnpm install): ${error.message}`);
  }
  try {
    return await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true, timeout: 30_000 });
  } catch (error) {
    const first = String(error.message).split('\n')[0];
    throw new Error(`Chromium (${chromiumPath}) did not start: ${first.length > 300 ? `${first.slice(0, 300)}…` : first}`);
  }
}

/**
 * Serves the page on 127.0.0.1: the script-tag build(s) of @continuum/browser, then
 * browser-page.js; and the two requests a running page makes: GET /go?run=<id> (held
 * until the bench calls `go()`) and POST /result?run=<id>. `scripts` are the IIFE files
 * in load order (the drop-in may be a second script filling in the same global).
 */
export async function startPageServer(scripts) {
  const js = 'text/javascript; charset=utf-8';
  const files = {};
  const tags = [];
  for (const path of scripts) {
    if (!existsSync(path)) throw new Error(`${path} is missing: run pnpm build`);
    const name = `/${basename(path)}`;
    files[name] = [js, readFileSync(path)];
    tags.push(`<script src="${name}"></script>`);
  }
  files['/page.js'] = [js, readFileSync(join(here, 'browser-page.js'))];
  tags.push('<script src="/page.js"></script>');
  files['/'] = ['text/html; charset=utf-8', Buffer.from(`<!doctype html>\n<meta charset="utf-8">\n<title>Continuum bench: browser sends</title>\n${tags.join('\n')}\n`)];
  /** run id → { ready(res), result(json) } of the run the bench waits for. */
  const runs = new Map();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const run = runs.get(url.searchParams.get('run'));
    if (url.pathname === '/go' && run) {
      run.ready(res);
      return;
    }
    if (url.pathname === '/result' && run && req.method === 'POST') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(204).end();
        try {
          run.result(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          run.result({ ok: false, error: `unreadable result: ${error.message}` });
        }
      });
      return;
    }
    const file = files[url.pathname];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' });
    res.end(file[1]);
  });
  server.keepAliveTimeout = 1000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  let nextRun = 1;
  return {
    origin,
    /**
     * Registers a run: `url` loads the page that runs `options`; `ready` resolves with
     * `go()` once the page's connection is open; `result` with what the page posted.
     */
    expect(options) {
      const id = String(nextRun++);
      let ready;
      let result;
      const entry = {
        ready: new Promise((r) => (ready = r)),
        result: new Promise((r) => (result = r)),
      };
      runs.set(id, {
        ready: (res) => ready(() => res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('go')),
        result: (json) => {
          runs.delete(id);
          result(json);
        },
      });
      return { url: `${origin}/?run=${id}&o=${encodeURIComponent(JSON.stringify(options))}`, ...entry, forget: () => runs.delete(id) };
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Opens `url` in a new browser context created over the browser-level CDP session, not
 * through Playwright's page API. Playwright attaches only to the contexts it created
 * (it detaches from this one at once), so no DevTools Network domain is enabled on the
 * page: with it, Chromium turns every WebSocket frame into a `Network.webSocketFrameSent`
 * event (payload included) sent to the Playwright process — per-frame instrumentation
 * a user's browser does not have. Returns `close()`.
 */
export async function openUninstrumented(cdp, url) {
  const { browserContextId } = await cdp.send('Target.createBrowserContext', { disposeOnDetach: true });
  try {
    const { targetId } = await cdp.send('Target.createTarget', { url, browserContextId });
    return {
      targetId,
      close: async () => {
        await cdp.send('Target.closeTarget', { targetId }).catch(() => {});
        await cdp.send('Target.disposeBrowserContext', { browserContextId }).catch(() => {});
      },
    };
  } catch (error) {
    await cdp.send('Target.disposeBrowserContext', { browserContextId }).catch(() => {});
    throw error;
  }
}

/**
 * CPU time (s) of each Chromium process, by type ('browser', 'renderer', 'utility' = the
 * network service, …), from the browser-level CDP `SystemInfo.getProcessInfo`.
 */
export async function chromiumCpu(cdp) {
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  const out = {};
  for (const p of processInfo) out[p.type] = (out[p.type] ?? 0) + p.cpuTime;
  return out;
}

/**
 * Waits until Chromium's processes are quiet: less than `busyShare` of one core used by
 * all of them together over `windowMs`, bounded by `maxMs`. A new browser context opens
 * a (headless) window whose omnibox-popup WebUI renderer starts up for about a second
 * of CPU right after the page was created; without this wait it would overlap the
 * measurement on a 2-core machine. Resolves `{ ms, quiet }`.
 */
export async function waitQuiet(cdp, { windowMs = 250, busyShare = 0.1, maxMs = 5000 } = {}) {
  const started = Date.now();
  const total = async () => Object.values(await chromiumCpu(cdp)).reduce((a, b) => a + b, 0);
  let before = await total();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = await total();
    const quiet = after - before < (busyShare * windowMs) / 1000;
    if (quiet || Date.now() - started >= maxMs) return { ms: Date.now() - started, quiet };
    before = after;
  }
}
