// The Continuum demo, started by `pnpm start` from the repository root.
//
//   browser ──ws──▶ FaultProxy (@continuum/testing) ──▶ @continuum/server (in-memory)
//      │
//      └──http──▶ this file: the page, the IIFE, /metrics, and the buttons' endpoints
//
// The page loads the SDK with a <script> tag and connects through the fault proxy, so
// the buttons can break the link the way real networks do:
//   POST /demo/drop           proxy.reset(): every link gets an RST; clients resume
//   POST /demo/halfopen       proxy.blackhole() for 5 s: silence, found by the heartbeat
//   POST /demo/restart-store  a new Continuum server with an empty store: no session can
//                             resume, clients are told `resumed: false` with the gap
//
// The chat room's messages live here (the app's own source of truth), not in Continuum:
// new sessions get a history snapshot from it. With channels (`server.publish`), chat and
// metrics go out on the `chat` and `dashboard` channels; without, on each session.
//
//   PORT=9000 pnpm start       page on another port (default 8080)
//   HOST=0.0.0.0 pnpm start    reachable from a phone on your network (default 127.0.0.1)
//   LOG_LEVEL=debug pnpm start the server's structured JSON logs, more of them
//
// With CONTINUUM_EXAMPLE_SMOKE=1 it checks itself with two Node clients and exits
// (0 when everything arrived exactly once, in order): `pnpm test` runs it that way.
import { createServer as createHttpServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, jsonLogger, shutdownOnSignals } from '@continuum/server';
import { FaultProxy } from '@continuum/testing';

const here = dirname(fileURLToPath(import.meta.url));
const PORT = Number(process.env.PORT ?? 8080);
const HOST = process.env.HOST ?? '127.0.0.1';
const PROXY_PORT = Number(process.env.PROXY_PORT ?? 0);
const smoke = process.env.CONTINUUM_EXAMPLE_SMOKE === '1';
const HISTORY_SIZE = 100;
const HALF_OPEN_MS = 5000;

const logger = jsonLogger({ level: process.env.LOG_LEVEL ?? (smoke ? 'warn' : 'info'), base: { service: 'demo' } });

// ---- the SDK's script-tag build -------------------------------------------------------

const require = createRequire(import.meta.url);
const iifePath = join(dirname(require.resolve('@continuum/browser/package.json')), 'dist', 'continuum.min.js');
if (!existsSync(iifePath)) {
  console.error(`${iifePath} is missing: run \`pnpm build\` first (\`pnpm start\` does it for you).`);
  process.exit(1);
}

// ---- the chat room: the app's own data ------------------------------------------------

/** Messages in room order; `n` is the room's own sequence, assigned here. */
const room = { log: [], n: 0, ids: new Map() };

/**
 * Adds a message unless its id was seen. Continuum hands each message to this handler
 * once per session, but when a whole session store is lost (the third button) the client
 * re-sends what was never acknowledged and no server can tell whether it was handled: the
 * app's own idempotency key (the message id) settles it.
 */
function post({ id, name, text }) {
  const known = room.ids.get(id);
  if (known) return { message: known, fresh: false };
  const message = { n: ++room.n, id, name, text, at: Date.now() };
  room.log.push(message);
  if (room.log.length > HISTORY_SIZE) room.log.shift();
  room.ids.set(id, message);
  if (room.ids.size > 10 * HISTORY_SIZE) room.ids.delete(room.ids.keys().next().value);
  return { message, fresh: true };
}

function check(value, what, max) {
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new Error(`${what} must be a non-empty string of at most ${max} characters`);
  }
  return value.trim();
}

// ---- the Continuum server (replaced by "restart server session store") ---------------

let continuum;
let channels = false;
/** Counters of the servers replaced so far, so the dashboard's totals survive a restart. */
let carried = { in: 0, out: 0, replayed: 0, resumesOk: 0, resumesFailed: 0 };

async function startContinuum() {
  const server = await createServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    // Only this page's origin may open a socket (see docs/security.md).
    allowedOrigins: (origin) => {
      try {
        return Number(new URL(origin).port) === httpPort();
      } catch {
        return false;
      }
    },
    maxMessageBytes: 16 * 1024,
    // Faster than the defaults (25 s / 10 s) so that a half-open socket is reaped while
    // you watch; the page's own heartbeat (2 s) finds it sooner still.
    pingMs: 5000,
    heartbeatTimeoutMs: 5000,
  });
  server.on('error', (err) => logger.error({ err }, 'server fault'));
  server.on('session', (session) => {
    // Channel mode: the page asks for the snapshot once it is subscribed (`sync`), so that
    // nothing falls between the snapshot and the subscription.
    if (!channels) session.send(historyMessage());
    session.on('message', async (data) => {
      const message = parse(data);
      if (message.type === 'chat') {
        const { message: chat, fresh } = post({
          id: check(message.id, 'id', 64),
          name: check(message.name, 'name', 32),
          text: check(message.text, 'text', 500),
        });
        // Resolving after the broadcast: the sender's send() resolves once it went out.
        if (fresh) await broadcast('chat', { type: 'chat', ...chat });
      } else if (message.type === 'sync') {
        session.send(historyMessage());
      } else {
        throw new Error(`unknown message type ${JSON.stringify(message.type)}`);
      }
    });
  });
  return server;
}

function parse(data) {
  try {
    return JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'));
  } catch {
    // A rejection reaches the client as REJECTED_BY_SERVER on that send().
    throw new Error('messages must be JSON');
  }
}

function historyMessage() {
  return JSON.stringify({ type: 'history', messages: room.log });
}

/** To every session of the room, on a channel when the server has them. */
async function broadcast(channel, message, { volatile = false } = {}) {
  const text = JSON.stringify(message);
  if (channels) {
    // One encoded frame per publication, written to every subscriber: counted here for
    // the dashboard's messages/s, as the server's counters count session messages.
    deliveries += continuum.channels?.subscribers?.(channel) ?? 0;
    await continuum.publish(channel, text);
    return;
  }
  for (const session of continuum.sessions) {
    // A session whose client is away keeps the message for its resume; volatile
    // ones (the dashboard) are for connected sessions only.
    if (volatile && !session.connected) continue;
    session.send(text, { volatile });
  }
}

// ---- the dashboard: the server's own metrics, once a second ---------------------------

/** Reads the counters the dashboard shows from the Prometheus text of `server.metrics()`. */
function readMetrics(server) {
  const values = {};
  let replayed = 0;
  for (const line of server.metrics().split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match) continue;
    values[match[1] + (match[2] ?? '')] = Number(match[3]);
    // Session messages and, where the server counts them, channel publications replayed.
    if (/replayed.*_total$/.test(match[1])) replayed += Number(match[3]);
  }
  return {
    sessions: values.continuum_sessions ?? 0,
    connections: values.continuum_connections ?? 0,
    in: values.continuum_messages_received_total ?? 0,
    out: values.continuum_messages_sent_total ?? 0,
    replayed,
    resumesOk: values['continuum_resumes_total{result="ok"}'] ?? 0,
    resumesFailed: values['continuum_resumes_total{result="failed"}'] ?? 0,
  };
}

function totals(now) {
  return {
    in: carried.in + now.in,
    out: carried.out + now.out,
    replayed: carried.replayed + now.replayed,
    resumesOk: carried.resumesOk + now.resumesOk,
    resumesFailed: carried.resumesFailed + now.resumesFailed,
  };
}

/** Publications written to subscribers (channel mode), since the start. */
let deliveries = 0;
let previousTraffic;
async function publishMetrics() {
  const now = readMetrics(continuum);
  const sum = totals(now);
  const traffic = sum.in + sum.out + deliveries;
  const perSecond = previousTraffic === undefined ? 0 : Math.max(0, traffic - previousTraffic);
  previousTraffic = traffic;
  const attempts = sum.resumesOk + sum.resumesFailed;
  await broadcast(
    'dashboard',
    {
      type: 'metrics',
      at: Date.now(),
      sessions: now.sessions,
      connections: now.connections,
      messagesPerSecond: perSecond,
      replayed: sum.replayed,
      resumesOk: sum.resumesOk,
      resumesFailed: sum.resumesFailed,
      resumeSuccessRate: attempts === 0 ? null : sum.resumesOk / attempts,
    },
    // A dashboard wants the latest figure, not a backlog: outside channels it is sent
    // volatile (never queued or replayed), and the chart shows the outage as a hole.
    { volatile: true },
  );
}

// ---- the fault proxy and the buttons --------------------------------------------------

let proxy;
let halfOpenTimer;
let restarting;

async function restartStore() {
  restarting ??= (async () => {
    const old = continuum;
    // The new server first, so that clients reconnecting after the close find it.
    const next = await startContinuum();
    carried = totals(readMetrics(old));
    continuum = next;
    proxy.setTarget(next.url);
    await old.close({ reason: 'demo: session store restarted; retry=100-1000' });
  })().finally(() => {
    restarting = undefined;
  });
  return restarting;
}

const actions = {
  '/demo/drop': () => {
    const before = proxy.stats().resets;
    proxy.reset();
    return { resets: proxy.stats().resets - before };
  },
  '/demo/halfopen': () => {
    proxy.blackhole();
    clearTimeout(halfOpenTimer);
    halfOpenTimer = setTimeout(() => {
      proxy.restore();
      logger.info({}, 'demo: link restored');
    }, HALF_OPEN_MS);
    return { restoreInMs: HALF_OPEN_MS };
  },
  '/demo/restart-store': async () => {
    await restartStore();
    return { restarted: true };
  },
};

// ---- HTTP: the page, the SDK, metrics and the buttons ---------------------------------

const files = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/room.js': ['room.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['style.css', 'text/css; charset=utf-8'],
};

function send(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** The buttons change server state: refuse a cross-site POST (a browser always sends Origin with one). */
function sameOrigin(req) {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

async function onRequest(req, res) {
  const path = new URL(req.url ?? '/', 'http://demo').pathname;
  try {
    if (req.method === 'POST' && path in actions) {
      if (!sameOrigin(req)) return send(res, 403, 'text/plain', 'cross-origin request refused');
      logger.info({ action: path }, 'demo: button pressed');
      return send(res, 200, 'application/json', JSON.stringify({ ok: true, ...(await actions[path]()) }));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed');
    if (path in files) {
      const [name, type] = files[path];
      return send(res, 200, type, readFileSync(join(here, 'public', name)));
    }
    if (path === '/continuum.min.js') return send(res, 200, 'text/javascript; charset=utf-8', readFileSync(iifePath));
    if (path === '/config.js') {
      const config = { proxyPort: proxy.port, channels, halfOpenMs: HALF_OPEN_MS };
      return send(res, 200, 'text/javascript; charset=utf-8', `window.DEMO_CONFIG = ${JSON.stringify(config)};\n`);
    }
    if (path === '/metrics') return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', continuum.metrics());
    if (path === '/health') {
      const health = continuum.health();
      return send(res, health.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify({ ...health, proxy: proxy.stats() }));
    }
    if (path === '/favicon.ico') return send(res, 204, 'text/plain', '');
    send(res, 404, 'text/plain', 'not found');
  } catch (err) {
    logger.error({ err, path }, 'demo: request failed');
    if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
  }
}

// ---- start ----------------------------------------------------------------------------

const http = createHttpServer((req, res) => void onRequest(req, res));
const httpPort = () => http.address()?.port ?? PORT;

continuum = await startContinuum();
channels = typeof continuum.publish === 'function' && process.env.DEMO_CHANNELS !== '0';
proxy = await FaultProxy.start({ target: continuum.url, host: HOST, port: PROXY_PORT });
await new Promise((resolve, reject) => {
  http.once('error', reject);
  http.listen(PORT, HOST, resolve);
});
const metricsTimer = setInterval(() => {
  publishMetrics().catch((err) => logger.warn({ err }, 'demo: metrics not published'));
}, 1000);

const shown = HOST === '127.0.0.1' || HOST === '0.0.0.0' || HOST === '::' ? 'localhost' : HOST;
const pageUrl = `http://${shown}:${httpPort()}`;
console.log(`\n  Continuum demo: ${pageUrl}\n`);
console.log(`  page + SDK       ${pageUrl}  (open it in two tabs)`);
console.log(`  WebSocket        ws://${shown}:${proxy.port}/ (fault proxy) -> ${continuum.url}`);
console.log(`  delivery         ${channels ? 'channels `chat` and `dashboard`' : 'session messages (no channels in this build)'}`);
console.log(`  metrics, health  ${pageUrl}/metrics  ${pageUrl}/health`);
console.log(`  stop             Ctrl-C (graceful: clients get 1012 with a retry hint)\n`);

async function stop() {
  clearInterval(metricsTimer);
  clearTimeout(halfOpenTimer);
  await restarting?.catch(() => {});
  await proxy.close();
  await new Promise((resolve) => {
    http.close(resolve);
    http.closeAllConnections();
  });
}

if (smoke) {
  const { runSmoke } = await import('./smoke.mjs');
  let code = 1;
  try {
    await runSmoke({ pageUrl: `http://127.0.0.1:${httpPort()}`, wsUrl: proxy.url, channels, proxy });
    console.log('smoke: ok');
    code = 0;
  } catch (err) {
    console.error(`smoke: FAILED: ${err?.stack ?? err}`);
  }
  await continuum.close({ timeoutMs: 200 });
  await stop();
  process.exit(code);
} else {
  // SIGTERM (docker stop, Kubernetes) or Ctrl-C: clients are told to come back (1012 + hint).
  shutdownOnSignals({ close: (options) => continuum.close(options) }, { logger, onShutdown: stop, timeoutMs: 5000 });
}
