// Child process: the client end of one stack. Driven over IPC by main.mjs.
//   node client-proc.mjs <client-stack>
import { cpuMicros, nowNs, payloadOf, quantile, serveIpc, settledMemory, sleep, windowFor } from './common.mjs';
import { connectClient } from './stacks.mjs';

const stack = process.argv[2];

let conns = [];
let received = 0;
let sent = 0;
let pumping = false;
let onAny; // per-message hook of the running measurement
let proxy;
let fan = { count: 0, last: 0 };

// Sequence tracking for the cut metrics (messages carry a counter).
let seqLast = 0;
let seqLost = 0;
let seqDup = 0;

function onMessage(data) {
  received++;
  if (onAny) onAny(data);
}

async function openMany(url, n, { fast = false, window = 960, concurrency = 64, record } = {}) {
  const started = Date.now();
  const opened = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      opened[i] = await connectClient(stack, url, { onMessage, fast, window, record: record?.(i) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { conns: opened, ms: Date.now() - started };
}

async function closeAll() {
  pumping = false;
  const list = conns;
  conns = [];
  await Promise.all(list.map((c) => Promise.resolve(c.close()).catch(() => {})));
  if (proxy) {
    const p = proxy;
    proxy = undefined;
    await p.close().catch(() => {});
  }
}

// ---- reconnect storm --------------------------------------------------------------
const storm = { attempts: [], sessions: [], scheduled: [] };
let stormLag;

serveIpc({
  open: async (m) => {
    if (!m.append) await closeAll();
    let url = m.url;
    if (m.viaProxy) {
      const { FaultProxy } = await import('@continuum/testing');
      // A TCP proxy: it forwards any URL scheme (socket.io's http:// included).
      const u = new URL(url);
      proxy = await FaultProxy.start({ target: { host: u.hostname, port: Number(u.port) } });
      url = `${u.protocol}//127.0.0.1:${proxy.port}${u.pathname}`;
    }
    const { conns: opened, ms } = await openMany(url, m.n ?? 1, {
      fast: m.fast,
      window: windowFor(m.size ?? 'text64'),
      concurrency: m.concurrency,
    });
    conns = m.append ? conns.concat(opened) : opened;
    received = 0;
    sent = 0;
    return { opened: conns.length, ms };
  },
  subscribe: async (m) => {
    if (!conns.every((c) => typeof c.subscribe === 'function')) return { subscribed: 0 };
    let next = 0;
    const worker = async () => {
      while (next < conns.length) await conns[next++].subscribe(m.channel);
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    return { subscribed: conns.length };
  },
  // Fan-out: count this process's receives and keep the time of the last one.
  'fanout-arm': () => {
    const t = { count: 0, last: 0 };
    fan = t;
    onAny = () => {
      t.count++;
      t.last = performance.timeOrigin + performance.now();
    };
    return {};
  },
  'fanout-collect': async (m) => {
    const deadline = Date.now() + m.timeLimitMs;
    while (fan.count < m.expected && Date.now() < deadline) await sleep(2);
    onAny = undefined;
    return { count: fan.count, last: fan.last };
  },
  exit: () => {
    setTimeout(() => process.exit(0), 20);
    return {};
  },
  'pump-start': (m) => {
    const conn = conns[0];
    const data = payloadOf(m.size);
    const burst = m.burst;
    pumping = true;
    const step = () => {
      if (!pumping) return;
      for (let i = 0; i < burst; i++) {
        if (conn.blocked()) {
          conn.whenUnblocked(step);
          return;
        }
        conn.send(data);
        sent++;
      }
      setImmediate(step);
    };
    setImmediate(step);
    return {};
  },
  'pump-stop': () => {
    pumping = false;
    return { sent };
  },
  mark: () => ({ t: String(nowNs()), received, sent, cpu: cpuMicros() }),
  echo: async (m) => {
    const conn = conns[0];
    const data = payloadOf(m.size);
    const samples = new Float64Array(m.n);
    const deadline = Date.now() + m.timeLimitMs;
    let done = 0;
    let warm = 0;
    const cpu0 = { v: 0 };
    await new Promise((resolve) => {
      let t0 = 0n;
      const fire = () => {
        if (Date.now() > deadline) {
          onAny = undefined;
          resolve();
          return;
        }
        t0 = process.hrtime.bigint();
        conn.send(data);
      };
      onAny = () => {
        const dt = Number(process.hrtime.bigint() - t0) / 1000;
        if (warm < m.warmup) {
          warm++;
          if (warm === m.warmup) cpu0.v = cpuMicros();
        } else samples[done++] = dt;
        if (done >= m.n) {
          onAny = undefined;
          resolve();
        } else fire();
      };
      fire();
    });
    const cpu = cpuMicros() - cpu0.v;
    const sorted = Array.from(samples.subarray(0, done)).sort((a, b) => a - b);
    return {
      n: done,
      p50Us: quantile(sorted, 0.5),
      p99Us: quantile(sorted, 0.99),
      meanUs: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1),
      cpuPerRoundTripUs: done ? cpu / done : null,
    };
  },
  memory: async () => ({ ...(await settledMemory()), connections: conns.length }),
  // Heap by constructor: a snapshot aggregated to { 'type name': [count, selfBytes] },
  // so the orchestrator can diff two of them and divide by the connections added.
  'heap-aggregate': async () => {
    await settledMemory();
    const { getHeapSnapshot } = await import('node:v8');
    const chunks = [];
    for await (const chunk of getHeapSnapshot()) chunks.push(chunk);
    const snap = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const f = snap.snapshot.meta.node_fields;
    const types = snap.snapshot.meta.node_types[0];
    const width = f.length;
    const iType = f.indexOf('type');
    const iName = f.indexOf('name');
    const iSize = f.indexOf('self_size');
    const agg = {};
    const nodes = snap.nodes;
    for (let i = 0; i < nodes.length; i += width) {
      const type = types[nodes[i + iType]];
      let name = snap.strings[nodes[i + iName]];
      if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '(strings)';
      else if (type === 'number' || type === 'hidden' || type === 'code') name = `(${type})`;
      else if (name.length > 60) name = `${name.slice(0, 57)}...`;
      const key = `${type} ${name}`;
      const e = (agg[key] ??= [0, 0]);
      e[0]++;
      e[1] += nodes[i + iSize];
    }
    return { agg, connections: conns.length };
  },
  'close-all': async () => {
    await closeAll();
    return {};
  },

  // ---- resume cost (through a FaultProxy in this process) ---------------------------
  'seq-reset': () => {
    seqLast = 0;
    seqLost = 0;
    seqDup = 0;
    received = 0;
    onAny = trackSeq;
    return {};
  },
  'cut-latency': async (m) => {
    const samples = [];
    const deadline = Date.now() + m.timeLimitMs;
    for (let i = 0; i < m.cuts && Date.now() < deadline; i++) {
      await sleep(m.gapMs);
      const acceptedAtCut = proxy.stats().accepted;
      const t0 = process.hrtime.bigint();
      proxy.cut();
      const ok = await new Promise((resolve) => {
        const timer = setTimeout(() => {
          onAny = trackSeq;
          resolve(false);
        }, m.waitMs);
        onAny = (data) => {
          trackSeq(data);
          // Only a message of a new connection counts: what was already in this
          // process's socket buffer when the cut came is not "after the reconnect".
          if (proxy.stats().accepted > acceptedAtCut) {
            clearTimeout(timer);
            onAny = trackSeq;
            resolve(true);
          }
        };
      });
      if (ok) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return { samplesMs: samples, lost: seqLost, dup: seqDup, cuts: proxy.stats().cuts };
  },
  'cut-throughput': async (m) => {
    const r0 = received;
    const lost0 = seqLost;
    const dup0 = seqDup;
    const t0 = process.hrtime.bigint();
    const cpu0 = cpuMicros();
    const cuts0 = proxy.stats().cuts;
    const end = Date.now() + m.ms;
    while (Date.now() < end) {
      await sleep(Math.min(m.everyMs, Math.max(1, end - Date.now())));
      if (m.everyMs > 0 && Date.now() < end) proxy.cut();
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return {
      perSec: (received - r0) / seconds,
      received: received - r0,
      lost: seqLost - lost0,
      dup: seqDup - dup0,
      cuts: proxy.stats().cuts - cuts0,
      cpuPerMsgUs: (cpuMicros() - cpu0) / Math.max(1, received - r0),
      seconds,
    };
  },

  // ---- reconnect storm ---------------------------------------------------------------
  'storm-open': async (m) => {
    await closeAll();
    storm.attempts = Array.from({ length: m.n }, () => []);
    storm.sessions = Array.from({ length: m.n }, () => []);
    storm.scheduled = Array.from({ length: m.n }, () => []);
    const { conns: opened, ms } = await openMany(m.url, m.n, {
      concurrency: m.concurrency ?? 32,
      record: (i) => (event, detail) => {
        const now = Date.now();
        if (event === 'attempt') storm.attempts[i].push(now);
        else if (event === 'session') storm.sessions[i].push(now);
        else if (event === 'retry') storm.scheduled[i].push({ at: now, due: now + detail.delayMs, attempt: detail.attempt });
      },
    });
    conns = opened;
    // This process's own event-loop lag during the storm: 500+ clients on one core.
    const { monitorEventLoopDelay } = await import('node:perf_hooks');
    stormLag?.disable();
    stormLag = monitorEventLoopDelay({ resolution: 10 });
    stormLag.enable();
    return { opened: conns.length, ms };
  },
  'storm-report': async (m) => {
    // Wait (bounded) until every client has a session that started after the kill.
    const deadline = Date.now() + m.timeLimitMs;
    const reconnected = () => storm.sessions.filter((s) => s.some((t) => t >= m.since)).length;
    while (reconnected() < storm.sessions.length && Date.now() < deadline) await sleep(50);
    const firstAttempt = [];
    const firstDue = [];
    const reconnectedAt = [];
    let attempts = 0;
    for (let i = 0; i < storm.sessions.length; i++) {
      const after = storm.attempts[i].filter((t) => t >= m.since);
      attempts += after.length;
      if (after.length) firstAttempt.push(after[0] - m.since);
      const due = storm.scheduled[i].find((r) => r.at >= m.since);
      if (due) firstDue.push(due.due - m.since);
      const s = storm.sessions[i].find((t) => t >= m.since);
      if (s !== undefined) reconnectedAt.push(s - m.since);
    }
    const lag = stormLag ? { p99Ms: stormLag.percentile(99) / 1e6, maxMs: stormLag.max / 1e6 } : undefined;
    return { clients: storm.sessions.length, firstAttempt, firstDue, reconnectedAt, attempts, lag };
  },
});

function trackSeq(data) {
  const n = Number.parseInt(typeof data === 'string' ? data : data.toString(), 10);
  if (!(n > 0)) return;
  if (n <= seqLast) seqDup++;
  else {
    if (n > seqLast + 1 && seqLast > 0) seqLost += n - seqLast - 1;
    seqLast = n;
  }
}

process.send?.({ type: 'ready', pid: process.pid });
