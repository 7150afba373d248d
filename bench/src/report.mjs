// Turns results JSON into BENCHMARKS.md and an SVG chart (hand-written SVG, no deps).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const STACK_ORDER = ['ws', 'ws-corked', 'socketio', 'rws', 'partysocket', 'continuum-rws', 'continuum', 'ws-deflate', 'continuum-deflate'];

const TEST_LABELS = {
  'c2s-text64': 'client → server, 64 B text (128 sends per turn)',
  'c2s-text64-burst1': 'client → server, 64 B text, 1 send per turn',
  's2c-text64': 'server → client, 64 B text (128 sends per turn)',
  'c2s-bin16k': 'client → server, 16 KiB binary',
  's2c-bin16k': 'server → client, 16 KiB binary',
  'echo-text64': 'echo round trip, 64 B text',
  'echo-bin16k': 'echo round trip, 16 KiB binary',
};

// ---- numbers --------------------------------------------------------------------------

const fmtInt = (x) => (x == null ? '—' : Math.round(x).toLocaleString('en-US'));
const fmt = (x, d = 1) => (x == null || !Number.isFinite(x) ? '—' : x.toFixed(d));
const kib = (b, d = 2) => (b == null ? '—' : (b / 1024).toFixed(d));
const mib = (b, d = 1) => (b == null ? '—' : (b / 2 ** 20).toFixed(d));
const spread = (s, f = fmt) => (s.median == null ? '—' : s.n > 1 ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median));
const ratioCell = (s) => (s.median == null ? '—' : s.n > 1 ? `**${s.median.toFixed(2)}×** (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : `**${s.median.toFixed(2)}×**`);

/** Per-repetition ratio to the baseline stack measured in the same repetition. */
function ratios(samplesByStack, stack, get, baseline = 'ws') {
  const base = new Map((samplesByStack?.[baseline] ?? []).map((s) => [s.rep, get(s)]));
  return summarize((samplesByStack?.[stack] ?? []).map((s) => (base.get(s.rep) ? get(s) / base.get(s.rep) : NaN)));
}
/** Like ratios(), with a different getter for the baseline stack. */
function ratiosX(samplesByStack, stack, get, baseline, getBase) {
  const base = new Map((samplesByStack?.[baseline] ?? []).map((s) => [s.rep, getBase(s)]));
  return summarize((samplesByStack?.[stack] ?? []).map((s) => (base.get(s.rep) && get(s) != null ? get(s) / base.get(s.rep) : NaN)));
}
const stat = (samplesByStack, stack, get) => summarize((samplesByStack?.[stack] ?? []).map(get));
const stacksIn = (table) => STACK_ORDER.filter((s) => table?.[s]?.length);

// ---- targets -------------------------------------------------------------------------------

/** Each target: the figure, the threshold, met or not (judged on the median), and what limits it. */
function targets(r) {
  const T = [];
  const tp = r.throughput ?? {};
  const lat = r.latency ?? {};
  const add = (name, s, ok, limit, unit = '×') => {
    T.push({ name, limitKey: limit?.key, value: s?.median == null ? '—' : s.n > 1 ? `${s.median.toFixed(2)}${unit} (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : `${s.median.toFixed(2)}${unit}`, met: s?.median == null ? null : ok(s.median), limit });
  };
  const limits = loadLimits();
  add('Session 64 B c→s ≥ 2× raw ws (issue 10)', ratios(tp['c2s-text64'], 'continuum', (s) => s.perSec), (v) => v >= 2, limits.sessionC2s);
  add('Session 64 B s→c ≥ 2× raw ws (issue 10)', ratios(tp['s2c-text64'], 'continuum', (s) => s.perSec), (v) => v >= 2, limits.sessionS2c);
  add('Session echo p50 ≤ 1.05× raw ws, 64 B (issue 10)', ratios(lat['echo-text64'], 'continuum', (s) => s.p50Us), (v) => v <= 1.05, limits.sessionEcho);
  add('Session echo p99 ≤ 1.05× raw ws, 64 B (issue 10)', ratios(lat['echo-text64'], 'continuum', (s) => s.p99Us), (v) => v <= 1.05, limits.sessionEcho);
  add('Session echo p50 ≤ 1.05× raw ws, 16 KiB', ratios(lat['echo-bin16k'], 'continuum', (s) => s.p50Us), (v) => v <= 1.05, limits.sessionEcho);
  add('Session 16 KiB c→s ≥ 0.95× raw ws (issue 10)', ratios(tp['c2s-bin16k'], 'continuum', (s) => s.perSec), (v) => v >= 0.95, limits.session16k);
  add('Session 16 KiB s→c ≥ 0.95× raw ws (issue 10)', ratios(tp['s2c-bin16k'], 'continuum', (s) => s.perSec), (v) => v >= 0.95, limits.session16k);
  for (const key of ['c2s-text64', 's2c-text64', 'c2s-bin16k', 's2c-bin16k'])
    add(`ReconnectingWebSocket ${key} ≥ 0.97× raw ws (issue 7)`, ratios(tp[key], 'continuum-rws', (s) => s.perSec), (v) => v >= 0.97, limits.rwsThroughput);
  add('ReconnectingWebSocket echo p50 ≤ 1.03× raw ws, 64 B (CONTRACT)', ratios(lat['echo-text64'], 'continuum-rws', (s) => s.p50Us), (v) => v <= 1.03, limits.rwsLatency);
  add('ReconnectingWebSocket echo p50 ≤ 1.03× raw ws, 16 KiB', ratios(lat['echo-bin16k'], 'continuum-rws', (s) => s.p50Us), (v) => v <= 1.03, limits.rwsLatency);
  add('ReconnectingWebSocket memory per client ≤ 1.3× raw ws (heap)', ratios(r.memory?.idle, 'continuum-rws', (s) => s.client.heap), (v) => v <= 1.3, limits.rwsMemory);
  add('Server memory per idle session ≤ 2× raw ws (heap, 1,000)', ratios(r.memory?.idle, 'continuum', (s) => s.server.heap), (v) => v <= 2, limits.serverMemory);
  add('Server memory per idle session ≤ 2× raw ws (heap, 10,000)', ratios(r.sessions?.idle, 'continuum', (s) => s.perSession.heap), (v) => v <= 2, limits.serverMemory);
  const pub = (r.sessions?.idle?.continuum ?? []).some((s) => s.publicationFanoutMs != null);
  const fanN = (r.meta.params.sessions.n).toLocaleString('en-US');
  if (pub)
    add(`Publication fan-out to ${fanN}, last receive, ≤ 1.5× raw ws broadcast (CONTRACT)`, ratiosX(r.sessions?.idle, 'continuum', (s) => s.publicationFanoutMs, 'ws', (s) => s.fanoutMs), (v) => v <= 1.5, limits.fanout);
  add(`Per-session send() to ${fanN} sessions, last receive, vs raw ws broadcast (no target; reference)`, ratios(r.sessions?.idle, 'continuum', (s) => s.fanoutMs), () => 'reference', limits.fanoutSend);
  const b = Object.fromEntries((r.bundle?.entries ?? []).map((e) => [e.id, e]));
  const kb = (e) => (e?.gzip == null ? undefined : { median: e.gzip / 1024, min: e.gzip / 1024, max: e.gzip / 1024, n: 1 });
  add('Full IIFE ≤ 4 KiB min+gzip (goal; CI gate 6 KiB)', kb(b['continuum-iife']), (v) => v <= 4, limits.bundleIife, ' KiB');
  add('ReconnectingWebSocket alone ≤ 2.5 KiB min+gzip', kb(b['continuum-rws']), (v) => v <= 2.5, limits.bundleRws, ' KiB');
  const storm = r.storm?.samples ?? [];
  add('Reconnect storm: largest 100 ms bin ≤ 5 % of first attempts (as scheduled)', summarize(storm.map((s) => (s.maxBinShare ?? NaN) * 100)), (v) => v <= 5, limits.storm, ' %');
  add('Reconnect storm: largest 100 ms bin ≤ 5 % of first attempts (as executed on the bench)', summarize(storm.map((s) => (s.maxBinShareExecuted ?? NaN) * 100)), (v) => v <= 5, limits.stormExecuted, ' %');
  const browserN = (r.browser?.meta?.n ?? r.meta.params?.browser?.n ?? 100_000).toLocaleString('en-US');
  add(`Chromium page, ${browserN} small sends ≥ 2× a plain browser WebSocket (issue 10)`, ratios(r.browser?.sends, 'continuum', (s) => s.perSec), (v) => v >= 2, limits.browserSends);
  return T;
}

/** bench/limits.json: per figure, a short line for the targets table and a paragraph below it. */
function loadLimits() {
  const file = join(here, '..', 'limits.json');
  const raw = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const out = {};
  for (const [key, v] of Object.entries(raw)) out[key] = typeof v === 'string' ? v : { key, ...v };
  return out;
}

const LIMIT_TITLES = {
  sessionC2s: 'Session, 64 B, client → server',
  sessionS2c: 'Session, 64 B, server → client',
  sessionEcho: 'Session echo latency',
  session16k: 'Session, 16 KiB binary',
  rwsThroughput: 'ReconnectingWebSocket throughput',
  rwsLatency: 'ReconnectingWebSocket latency',
  rwsMemory: 'ReconnectingWebSocket memory',
  serverMemory: 'Server memory per session',
  fanout: 'Publication fan-out',
  fanoutSend: 'Per-session send() fan-out',
  bundleIife: 'Full IIFE size',
  bundleRws: 'ReconnectingWebSocket bundle size',
  storm: 'Reconnect storm, as scheduled',
  stormExecuted: 'Reconnect storm, as executed',
  browserSends: 'Chromium page, small sends',
};

// ---- chart --------------------------------------------------------------------------------

const COLORS = ['#2563eb', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be123c'];

function chart(r) {
  const tp = r.throughput ?? {};
  const lat = r.latency ?? {};
  const label = (s) => r.stacks?.[s] ?? s;
  const panels = [
    {
      title: 'Throughput, ratio to raw ws (higher is better)',
      series: [
        ['c2s 64 B', (s) => ratios(tp['c2s-text64'], s, (x) => x.perSec)],
        ['s2c 64 B', (s) => ratios(tp['s2c-text64'], s, (x) => x.perSec)],
        ['c2s 64 B, 1/turn', (s) => ratios(tp['c2s-text64-burst1'], s, (x) => x.perSec)],
        ['c2s 16 KiB', (s) => ratios(tp['c2s-bin16k'], s, (x) => x.perSec)],
        ['s2c 16 KiB', (s) => ratios(tp['s2c-bin16k'], s, (x) => x.perSec)],
      ],
    },
    {
      title: 'Echo latency, ratio to raw ws (lower is better)',
      series: [
        ['p50 64 B', (s) => ratios(lat['echo-text64'], s, (x) => x.p50Us)],
        ['p99 64 B', (s) => ratios(lat['echo-text64'], s, (x) => x.p99Us)],
        ['p50 16 KiB', (s) => ratios(lat['echo-bin16k'], s, (x) => x.p50Us)],
        ['p99 16 KiB', (s) => ratios(lat['echo-bin16k'], s, (x) => x.p99Us)],
      ],
    },
  ];
  // Deflate stacks have their own table; the chart compares the stacks users pick between.
  const stacks = STACK_ORDER.filter((s) => !s.endsWith('-deflate') && (tp['c2s-text64']?.[s]?.length || lat['echo-text64']?.[s]?.length));
  const W = 980;
  const left = 250;
  const plotW = W - left - 40;
  const barH = 9;
  const gap = 10;
  const esc = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  let y = 40;
  const out = [];
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Continuum bench: ratio to raw ws in the same repetition (median, whiskers min–max, log scale)</text>`);
  for (const panel of panels) {
    const values = stacks.flatMap((s) => panel.series.flatMap(([, f]) => [f(s).min, f(s).max])).filter((v) => v > 0 && Number.isFinite(v));
    // Log scale centred on 1×, symmetric, whole powers of two.
    const span = Math.min(6, Math.max(1, Math.ceil(Math.max(...values.map((v) => Math.abs(Math.log2(v))), 1))));
    const center = left + plotW / 2;
    const x = (v) => center + (Math.max(-span, Math.min(span, Math.log2(v))) / span) * (plotW / 2);
    y += 18;
    out.push(`<text x="10" y="${y}" font-size="13" font-weight="bold">${esc(panel.title)}</text>`);
    y += 20;
    let lx = left;
    panel.series.forEach(([name], i) => {
      out.push(`<rect x="${lx}" y="${y - 8}" width="10" height="10" fill="${COLORS[i]}"/><text x="${lx + 14}" y="${y + 1}" font-size="11">${esc(name)}</text>`);
      lx += 16 + name.length * 6.5 + 14;
    });
    y += 12;
    const top = y;
    for (const s of stacks) {
      const rows = panel.series.map(([, f], i) => [f(s), i]).filter(([st]) => st.median != null);
      if (rows.length === 0) continue;
      const groupH = rows.length * barH;
      out.push(`<text x="${left - 8}" y="${y + groupH / 2 + 4}" text-anchor="end" font-size="12">${esc(label(s))}</text>`);
      for (const [st, i] of rows) {
        const x0 = Math.min(center, x(st.median));
        const w = Math.max(0.8, Math.abs(x(st.median) - center));
        out.push(`<rect x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${barH - 1}" fill="${COLORS[i]}"/>`);
        if (st.n > 1) out.push(`<line x1="${x(st.min).toFixed(1)}" x2="${x(st.max).toFixed(1)}" y1="${y + barH / 2 - 0.5}" y2="${y + barH / 2 - 0.5}" stroke="#111" stroke-width="1"/>`);
        const right = st.median >= 1;
        const tx = right ? Math.max(x(st.median), st.n > 1 ? x(st.max) : 0) + 3 : Math.min(x(st.median), st.n > 1 ? x(st.min) : Infinity) - 3;
        out.push(`<text x="${tx.toFixed(1)}" y="${y + barH - 1}" font-size="8.5" fill="#333" text-anchor="${right ? 'start' : 'end'}">${st.median.toFixed(2)}</text>`);
        y += barH;
      }
      y += gap;
    }
    const bottom = y - gap + 4;
    for (let k = -span; k <= span; k++) {
      const v = 2 ** k;
      out.push(`<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${top - 4}" y2="${bottom}" stroke="${k === 0 ? '#dc2626' : '#ddd'}" ${k === 0 ? 'stroke-dasharray="4 3"' : ''}/>`);
      out.push(`<text x="${x(v).toFixed(1)}" y="${bottom + 12}" text-anchor="middle" font-size="9" fill="#555">${v >= 1 ? v : `1/${2 ** -k}`}×</text>`);
    }
    y = bottom + 18;
  }
  const H = y + 20;
  out.push(`<text x="10" y="${H - 8}" font-size="10" fill="#555">${esc(`${r.meta.machine.nproc} cores ${r.meta.machine.cpu}, node ${r.meta.machine.node}, ${r.meta.reps} repetition(s), ${r.meta.date.slice(0, 10)} — ${r.meta.command}`)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">\n<rect width="100%" height="100%" fill="#fff"/>\n${out.join('\n')}\n</svg>\n`;
}

// ---- markdown -----------------------------------------------------------------------------

export function writeReport(r, { mdPath, svgPath, svgRelative }) {
  writeFileSync(svgPath, chart(r));
  writeFileSync(mdPath, markdown(r, svgRelative));
}

function markdown(r, svgRelative) {
  const m = r.meta;
  const label = (s) => r.stacks?.[s] ?? s;
  const L = [];
  L.push('# Benchmarks');
  L.push('');
  L.push(
    `Generated by \`${m.command}\` on ${m.date.slice(0, 16).replace('T', ' ')} UTC from [\`bench/results/${m.quick ? 'quick/quick' : 'latest'}.json\`](bench/results/${m.quick ? 'quick/quick' : 'latest'}.json) — do not edit by hand: \`pnpm bench --report\` regenerates this file, the notes come from \`bench/limits.json\` and \`bench/findings.md\`.`,
  );
  L.push('');
  L.push(
    `Every figure is the **median over ${m.reps} interleaved repetition(s)** with the spread (min–max) in parentheses. Each end of a stack runs in its own process (${m.pinned}); in the throughput and latency phase every stack's pair of processes stays up through a repetition and each test runs on every stack back to back, in an order rotated per test and repetition, so the figures compared in a ratio were taken seconds apart. Ratios are computed **per repetition against raw \`ws\` measured in that same repetition**, then summarized. Targets are judged on the median (p50); p99 is reported. Run time: ${m.durationS ?? '?'} s.`,
  );
  L.push('');
  const short = Object.entries(m.repsDone ?? {}).filter(([, n]) => n < m.reps);
  if (short.length) L.push(`Repetitions done where fewer than ${m.reps} fitted in the run's time budget: ${short.map(([p, n]) => `${p} ${n}`).join(', ')}.`, '');
  if (m.loadavg) L.push(`Load average (1, 5, 15 min) at the start: ${m.loadavg.start?.join(', ')}; at the end: ${m.loadavg.end?.join(', ') ?? '—'} (2 cores; the bench itself keeps ~2 busy).`, '');
  L.push('## Machine and versions');
  L.push('');
  L.push('| | |');
  L.push('|---|---|');
  L.push(`| command | \`${m.command}\` (from the repository root; \`bench/run.sh\` raises \`ulimit -n\`, builds \`dist\` if stale, runs \`node --expose-gc bench/src/main.mjs\`) |`);
  L.push(`| nproc | ${m.machine.nproc} |`);
  L.push(`| CPU | ${m.machine.cpu} |`);
  L.push(`| Node | ${m.machine.node} |`);
  L.push(`| OS | ${m.machine.os}, ${m.machine.memGiB} GiB RAM |`);
  for (const [k, v] of Object.entries(m.versions ?? {})) L.push(`| ${k} | ${v ?? '—'} |`);
  L.push('');
  L.push('Stacks: ' + STACK_ORDER.filter((s) => r.stacks?.[s]).map((s) => `**${label(s)}** (\`${s}\`)`).join(', ') + '.');
  L.push(
    'Corked ws is the same `ws` client/server with `ws._socket.cork()` at the first send of a turn and `uncork()` on `process.nextTick`: one write syscall per turn, the control that shows the batching limit. socket.io uses the websocket transport only. reconnecting-websocket, partysocket and Continuum `ReconnectingWebSocket` talk to the plain `ws` server. Continuum Client talks to `@continuum/server` (sequence numbers, acks, replay buffer: exactly-once on).',
  );
  L.push('');

  // targets
  L.push('## Targets');
  L.push('');
  L.push('| target | measured (median, spread) | status | what limits it |');
  L.push('|---|---|---|---|');
  const T = targets(r);
  for (const t of T) L.push(`| ${t.name} | ${t.value} | ${t.met == null ? 'not measured' : t.met === 'reference' ? 'reference' : t.met ? '✅ met' : '❌ missed'} | ${t.limit?.short ?? ''} |`);
  L.push('');
  L.push(`![throughput and latency ratios per stack](${svgRelative})`);
  L.push('');
  L.push('### What limits each figure');
  L.push('');
  const seen = new Set();
  for (const t of T) {
    if (!t.limit?.long || seen.has(t.limit.key)) continue;
    seen.add(t.limit.key);
    L.push(`- **${LIMIT_TITLES[t.limit.key] ?? t.limit.key}.** ${t.limit.long}`);
  }
  L.push('');

  // throughput
  const tp = r.throughput ?? {};
  L.push('## 1–2. Throughput (messages/s), with CPU per message');
  L.push('');
  L.push(
    `One connection; the sender keeps sending in bursts of ${m.params.throughput.burst} sends per event-loop turn (\`setImmediate\` between bursts; the "1 send per turn" row sends one) while backpressure allows: \`bufferedAmount\` ≤ 1 MiB for ws-based stacks (socket.io: engine write buffer ≤ 1024 packets and the ws \`bufferedAmount\`), a poll every 1 ms while blocked; Continuum Client keeps ≤ 960 (64 B) / 240 (16 KiB) unacknowledged \`send()\` promises, the Continuum server ≤ as many unacknowledged messages per session. The receiver counts messages in a ${m.params.throughput.measureMs} ms window after ${m.params.throughput.warmupMs} ms of warm-up; CPU is \`process.cpuUsage()\` (user + system) of each process in the same window divided by the messages received.`,
  );
  for (const key of ['c2s-text64', 's2c-text64', 'c2s-text64-burst1', 'c2s-bin16k', 's2c-bin16k']) {
    if (!tp[key]) continue;
    L.push('');
    L.push(`### ${TEST_LABELS[key]}`);
    L.push('');
    L.push('| stack | messages/s | ratio to raw ws | MB/s | client CPU µs/msg | server CPU µs/msg |');
    L.push('|---|---|---|---|---|---|');
    for (const s of stacksIn(tp[key])) {
      L.push(
        `| ${label(s)} | ${spread(stat(tp[key], s, (x) => x.perSec), fmtInt)} | ${ratioCell(ratios(tp[key], s, (x) => x.perSec))} | ${fmt(stat(tp[key], s, (x) => x.mbPerSec).median, 1)} | ${spread(stat(tp[key], s, (x) => x.cpuClientUs), (v) => fmt(v, 2))} | ${spread(stat(tp[key], s, (x) => x.cpuServerUs), (v) => fmt(v, 2))} |`,
      );
    }
  }
  L.push('');

  // latency
  const lat = r.latency ?? {};
  L.push('## 3. Echo round trip (one message in flight)');
  L.push('');
  L.push(`${m.params.echo.n} round trips after ${m.params.echo.warmup} warm-up ones, timed in the client process with \`process.hrtime\`; client and server on separate cores.`);
  for (const key of ['echo-text64', 'echo-bin16k']) {
    if (!lat[key]) continue;
    L.push('');
    L.push(`### ${TEST_LABELS[key]}`);
    L.push('');
    L.push('| stack | p50 µs | p50 ratio | p99 µs | p99 ratio | client CPU µs per round trip |');
    L.push('|---|---|---|---|---|---|');
    for (const s of stacksIn(lat[key])) {
      L.push(
        `| ${label(s)} | ${spread(stat(lat[key], s, (x) => x.p50Us), (v) => fmt(v, 0))} | ${ratioCell(ratios(lat[key], s, (x) => x.p50Us))} | ${spread(stat(lat[key], s, (x) => x.p99Us), (v) => fmt(v, 0))} | ${ratioCell(ratios(lat[key], s, (x) => x.p99Us))} | ${fmt(stat(lat[key], s, (x) => x.cpuClientPerRtUs).median, 1)} |`,
      );
    }
  }
  L.push('');

  // memory
  const mem = r.memory?.idle;
  if (mem) {
    L.push(`## 4. Memory per idle connection (${m.params.memory.n.toLocaleString('en-US')} connections)`);
    L.push('');
    L.push(
      'Client and server in separate processes; each measures `process.memoryUsage()` after `global.gc()` (4 passes) before and after opening the connections (one warm-up connection first), divided by the count. "heap" is `heapUsed`; `external` (Buffers) is in the JSON. RSS is noisier (allocator pages).',
    );
    L.push('');
    L.push('| stack | client heap KiB | client heap ratio | client RSS KiB | server heap KiB | server heap ratio | server RSS KiB |');
    L.push('|---|---|---|---|---|---|---|');
    for (const s of stacksIn(mem)) {
      L.push(
        `| ${label(s)} | ${spread(stat(mem, s, (x) => x.client.heap / 1024), (v) => fmt(v, 2))} | ${ratioCell(ratios(mem, s, (x) => x.client.heap))} | ${spread(stat(mem, s, (x) => x.client.rss / 1024), (v) => fmt(v, 1))} | ${spread(stat(mem, s, (x) => x.server.heap / 1024), (v) => fmt(v, 2))} | ${ratioCell(ratios(mem, s, (x) => x.server.heap))} | ${spread(stat(mem, s, (x) => x.server.rss / 1024), (v) => fmt(v, 1))} |`,
      );
    }
    L.push('');
  }
  const ses = r.sessions?.idle;
  if (ses) {
    L.push(`### ${m.params.sessions.n.toLocaleString('en-US')} idle sessions on one server, and a fan-out to all of them`);
    L.push('');
    L.push(
      `Clients in ${m.params.sessions.procs} processes (pinned to the client core). Absolute server memory after GC with every session open, the increase per session, and the time from the server's first \`send\` of one 64 B message to every connection until the last client received it (${m.params.sessions.fanouts} fan-outs per repetition, median; wall clock across processes via \`performance.timeOrigin + performance.now()\`). Memory is taken before any subscription; for the publication fan-out every Continuum client then subscribes to one channel.`,
    );
    L.push('');
    L.push('| stack | sessions | server RSS MiB | server heap MiB | heap KiB/session | ratio | RSS KiB/session | connect all, ms |');
    L.push('|---|---|---|---|---|---|---|---|');
    for (const s of stacksIn(ses)) {
      L.push(
        `| ${label(s)} | ${fmtInt(stat(ses, s, (x) => x.sessions).median)} | ${spread(stat(ses, s, (x) => x.absolute.rss / 2 ** 20))} | ${spread(stat(ses, s, (x) => x.absolute.heap / 2 ** 20))} | ${spread(stat(ses, s, (x) => x.perSession.heap / 1024), (v) => fmt(v, 2))} | ${ratioCell(ratios(ses, s, (x) => x.perSession.heap))} | ${spread(stat(ses, s, (x) => x.perSession.rss / 1024), (v) => fmt(v, 1))} | ${fmtInt(stat(ses, s, (x) => x.connectMs).median)} |`,
      );
    }
    L.push('');
    L.push('| fan-out of one 64 B message to every connection | last receive, ms | ratio to raw ws broadcast |');
    L.push('|---|---|---|');
    L.push(`| raw ws: \`ws.send()\` on every socket | ${spread(stat(ses, 'ws', (x) => x.fanoutMs))} | 1.00× |`);
    if (ses.continuum) {
      L.push(`| Continuum: \`session.send()\` on every session (one DATA frame encoded per session) | ${spread(stat(ses, 'continuum', (x) => x.fanoutMs))} | ${ratioCell(ratios(ses, 'continuum', (x) => x.fanoutMs))} |`);
      if (ses.continuum.some((x) => x.publicationFanoutMs != null))
        L.push(`| Continuum: \`server.publish()\` to a channel every session subscribed to (encoded once) | ${spread(stat(ses, 'continuum', (x) => x.publicationFanoutMs ?? NaN))} | ${ratioCell(ratiosX(ses, 'continuum', (x) => x.publicationFanoutMs, 'ws', (x) => x.fanoutMs))} |`);
    }
    L.push('');
  }

  // bundle
  if (r.bundle) {
    L.push('## 5. Browser bundle size');
    L.push('');
    L.push(`${r.bundle.method} The two script-tag files are the shipped \`packages/browser/dist/continuum.min.js\` (the client, channels included) and \`dist/reconnecting-websocket.min.js\` (the drop-in; a page loads either or both, they fill the same \`Continuum\` global), built by the repository's rollup config with the same plugins and terser options. Sizes are deterministic: measured once.`);
    L.push('');
    L.push('| client | min bytes | min + gzip -9 KiB | brotli KiB |');
    L.push('|---|---|---|---|');
    for (const e of r.bundle.entries) L.push(e.error ? `| ${e.name} | error: ${e.error} | | |` : `| ${e.name} | ${fmtInt(e.min)} | ${kib(e.gzip)} | ${kib(e.brotli)} |`);
    L.push('');
  }

  // resume
  const res = r.resume?.cut;
  if (res) {
    L.push('## 6. Resume cost (FaultProxy from `@continuum/testing`)');
    L.push('');
    L.push(
      `The server pushes 64 B messages carrying a counter (same backpressure rules as above) through a FaultProxy that lives in the client process. **cut → message**: \`proxy.cut()\` (FIN both ways), then the time until the first message that arrives on a new connection — for Continuum that is the first replayed message of the resumed session (${m.params.resume.cuts} cuts per repetition, median). Every stack's reconnect delay is set to zero here (Continuum \`backoff.spreadMs/fastMs/initialMs: 0\`, reconnecting-websocket/partysocket \`minReconnectionDelay: 0\`, socket.io \`reconnectionDelay: 1\` (its smallest: it reads \`reconnectionDelay || 1000\`)): this measures the mechanism, not the policy. With Continuum's defaults a server-side close waits a uniform 0–5 s first (storm protection, metric 7). **Under cuts**: messages/s delivered over ${m.params.resume.cutMs / 1000} s while the link is cut every ${m.params.resume.everyMs} ms; ratio against raw ws through the same proxy without cuts; lost and duplicated counted from the counters the messages carry.`,
    );
    L.push('');
    L.push('| stack | cut → message ms | messages/s under cuts | ratio to raw ws (no cuts) | cuts | lost | duplicated |');
    L.push('|---|---|---|---|---|---|---|');
    for (const s of stacksIn(res)) {
      L.push(
        `| ${label(s)}${s === 'ws' ? ' (no cuts: baseline)' : ''} | ${s === 'ws' ? '—' : spread(stat(res, s, (x) => x.cutToMessageMs), (v) => fmt(v, 1))} | ${spread(stat(res, s, (x) => x.perSec), fmtInt)} | ${ratioCell(ratios(res, s, (x) => x.perSec))} | ${fmtInt(stat(res, s, (x) => x.cuts).median)} | ${spread(stat(res, s, (x) => x.lost), fmtInt)} | ${spread(stat(res, s, (x) => x.dup), fmtInt)} |`,
      );
    }
    L.push('');
  }

  // storm
  const storm = r.storm?.samples;
  if (storm?.length) {
    L.push('## 7. Reconnect storm');
    L.push('');
    L.push(
      `${m.params.storm.n.toLocaleString('en-US')} Continuum clients (default options) in ${m.params.storm.procs} processes on the client core, connected to one server on the other core; the server is killed (SIGKILL) and a new server process is started on the same port at once (in-memory store: sessions come back as new sessions with \`gap.to: null\`). First attempt = the first call of the client's transport factory after the kill.`,
    );
    L.push('');
    const S = (f, d = 1) => spread(summarize(storm.map(f)), (v) => fmt(v, d));
    L.push('| figure | median (min–max) |');
    L.push('|---|---|');
    L.push(`| largest 100 ms bin of first attempts as scheduled by the clients' backoff, % of clients | ${S((s) => (s.maxBinShare ?? NaN) * 100, 2)} |`);
    L.push(`| largest 100 ms bin of first attempts as executed (transport created), % of clients | ${S((s) => s.maxBinShareExecuted * 100, 2)} |`);
    L.push(`| client processes' event-loop lag, max, ms (${m.params.storm.n / m.params.storm.procs} clients per process, all on one core) | ${S((s) => s.clientLagMaxMs, 0)} |`);
    L.push(`| first attempt, median after the kill, ms (as scheduled / as executed) | ${S((s) => s.firstDueP50Ms, 0)} / ${S((s) => s.firstAttemptP50Ms, 0)} |`);
    L.push(`| last first attempt after the kill, ms | ${S((s) => s.firstAttemptMaxMs, 0)} |`);
    L.push(`| new server process listening after, ms | ${S((s) => s.serverUpMs, 0)} |`);
    L.push(`| all clients reconnected after, ms | ${S((s) => s.allReconnectedMs ?? NaN, 0)} |`);
    L.push(`| half the clients reconnected after, ms | ${S((s) => s.reconnectedP50Ms, 0)} |`);
    L.push(`| connection attempts per client | ${S((s) => s.attemptsPerClient, 2)} |`);
    L.push(`| server event-loop lag p99 during the storm, ms | ${S((s) => s.lagP99Ms, 1)} |`);
    L.push(`| server event-loop lag max, ms | ${S((s) => s.lagMaxMs, 1)} |`);
    L.push('');
    const mid = [...storm].sort((a, b) => a.maxBinShare - b.maxBinShare)[Math.floor(storm.length / 2)];
    L.push(
      `First attempts per 100 ms bin after the kill (median repetition, ${mid.clients} clients; one \`#\` ≈ 0.25 %), as scheduled | as executed. The executed attempts of the first few hundred ms come late and bunch up because the client processes are busy handling ${m.params.storm.n.toLocaleString('en-US')} socket closes on one core: a harness limit, not the clients' policy.`,
    );
    L.push('');
    L.push('```');
    const ex = mid.binsExecuted ?? [];
    const nBins = Math.max(mid.bins.length, ex.length);
    const bar = (c) => {
      const share = ((c ?? 0) / mid.clients) * 100;
      return `${share.toFixed(2).padStart(5)} % ${'#'.repeat(Math.round(share / 0.25)).padEnd(26)}`;
    };
    for (let i = 0; i < nBins; i++) L.push(`${String(i * 100).padStart(5)} ms ${bar(mid.bins[i])} | ${bar(ex[i])}`);
    L.push('```');
    L.push('');
  }

  // browser
  const br = r.browser;
  if (br?.sends && Object.keys(br.sends).length) {
    const bm = br.meta;
    const bLabel = { ws: 'plain browser `WebSocket` → ws server', 'continuum-rws': 'Continuum `ReconnectingWebSocket` → ws server', continuum: 'Continuum `Client` → `@continuum/server`' };
    const bStacks = ['ws', 'continuum-rws', 'continuum'].filter((s) => br.sends[s]?.length);
    const bReps = Math.max(...bStacks.map((s) => br.sends[s].length));
    const rerun = m.partialRerun?.phases?.includes('browser') ? m.partialRerun : undefined;
    L.push(`## 8. Chromium page: ${bm.n.toLocaleString('en-US')} small sends (issue 10)`);
    L.push('');
    L.push(
      `Debian's Chromium ${bm.chromium} (\`${bm.chromiumPath}\`, headless, launched by Playwright ${bm.playwright} with \`executablePath\`; nothing downloaded) loads a page with the script-tag build (${bm.scripts.files.map((f) => `\`${f}\``).join(' + ')}) that opens one connection and sends ${bm.n.toLocaleString('en-US')} text messages of ${bm.bytes} B as fast as backpressure allows. Plain \`WebSocket\` and Continuum's \`ReconnectingWebSocket\`: above ${mib(bm.highWaterBytes, 0)} MiB of \`bufferedAmount\` the loop waits for a 0 ms timer and looks again. Continuum \`Client\` (default options, batching on): at most ${bm.continuumWindow} unacknowledged \`send()\`s (its outbox holds 1,000 by default and rejects the next send with \`OUTBOX_FULL\`), and when the window is full the loop awaits the next acknowledgement. The server (its own process; ${bm.placement}) counts the messages and, once all arrived, replies with its receive time of the first and the last. **messages/s = ${bm.n.toLocaleString('en-US')} ÷ (server's last receive − page's first \`send()\`)**, both read with \`Date.now()\` (the same system clock, 1 ms resolution; \`performance.timeOrigin + performance.now()\` drifts from it by milliseconds on this VM). ${bReps} repetition(s), stacks interleaved in a rotated order; each run in a fresh browser context (a fresh renderer, cold JIT, as a page would be), started once Chromium's processes were quiet. Ratios are per repetition against the plain \`WebSocket\` of the same repetition.${rerun ? ` Measured by \`${rerun.command}\` on ${rerun.date.slice(0, 16).replace('T', ' ')} UTC (merged into this file's other figures).` : ''}`,
    );
    L.push('');
    L.push(
      `The page is opened over the browser-level CDP session in a browser context Playwright did not create, so Playwright attaches no DevTools domain to it: through Playwright's own page API the Network domain is on, and Chromium then reports every WebSocket frame (payload included) as a \`Network.webSocketFrameSent\` event to the Playwright process — per-frame work that a user's browser does not do, which slowed both stacks in a trial (\`--browser-pages=playwright\` measures that variant).`,
    );
    L.push('');
    const B = (s, f, d = 1) => spread(stat(br.sends, s, f), (v) => fmt(v, d));
    L.push('| stack | messages/s | ratio to plain WebSocket | first send → last receive, ms | send loop blocked, % of its time | first message at the server after, ms | renderer CPU µs/msg | network service CPU µs/msg | server CPU µs/msg | messages per frame |');
    L.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const s of bStacks) {
      L.push(
        `| ${bLabel[s]} | ${spread(stat(br.sends, s, (x) => x.perSec), fmtInt)} | ${s === 'ws' ? '1.00×' : ratioCell(ratios(br.sends, s, (x) => x.perSec))} | ${B(s, (x) => x.ms, 0)} | ${fmt(stat(br.sends, s, (x) => (100 * (x.waitMs ?? NaN)) / x.sendLoopMs).median, 0)} | ${B(s, (x) => x.firstMs, 0)} | ${fmt(stat(br.sends, s, (x) => x.cpuUsPerMsg.renderer).median, 1)} | ${fmt(stat(br.sends, s, (x) => x.cpuUsPerMsg.network).median, 1)} | ${fmt(stat(br.sends, s, (x) => x.cpuUsPerMsg.server).median, 1)} | ${s === 'continuum' ? fmt(stat(br.sends, s, (x) => x.messagesPerFrame).median, 0) : '1'} |`,
      );
    }
    L.push('');
    L.push(
      "Send loop blocked: the share of the page's send loop spent waiting for backpressure to clear (for Continuum this includes encoding each batch, which runs when the loop yields). CPU columns: CPU time of all of Chromium's renderer processes and of its network service process (CDP `SystemInfo.getProcessInfo`, 10 ms ticks), and of the server process, from \"go\" to the page's report, divided by the messages. The renderer's share includes its IO thread, which hands each WebSocket message to the network service.",
    );
    const skipped = Object.entries(br.skipped ?? {});
    if (skipped.length) L.push('', `Not measured in this run: ${skipped.map(([s, why]) => `${bLabel[s] ?? s} (${why})`).join('; ')}.`);
    L.push('');
  }

  // deflate
  L.push('## permessage-deflate cost (issue 11)');
  L.push('');
  const limits = loadLimits();
  if (typeof limits.deflate === 'string') L.push(limits.deflate, '');
  const opts = m.serverOptions?.['continuum-deflate'];
  L.push(
    opts && 'perMessageDeflate' in opts
      ? `\`@continuum/server\` was started with \`perMessageDeflate: true\` and \`@continuum/node\` with \`perMessageDeflate: true\` (ws defaults: every message compressed while context takeover is on; \`threshold\` only applies without it). Ratios are deflate on ÷ deflate off of the same stack in the same repetition.`
      : 'The Continuum server in this run does not accept a `perMessageDeflate` option (its `ws` server has deflate off), so only raw `ws` with and without deflate is compared.',
  );
  L.push('');
  const pairs = [
    ['ws-deflate', 'ws', 'raw ws'],
    ['continuum-deflate', 'continuum', 'Continuum'],
  ];
  L.push('| stack | figure | on ÷ off | on | off |');
  L.push('|---|---|---|---|---|');
  for (const [on, off, name] of pairs) {
    for (const k of ['c2s-text64', 's2c-text64', 'c2s-bin16k', 's2c-bin16k']) {
      if (!tp[k]?.[on]) continue;
      L.push(
        `| ${name} | ${TEST_LABELS[k]}: msg/s | ${ratioCell(ratios(tp[k], on, (x) => x.perSec, off))} | ${fmtInt(stat(tp[k], on, (x) => x.perSec).median)} | ${fmtInt(stat(tp[k], off, (x) => x.perSec).median)} |`,
      );
      L.push(
        `| ${name} | ${TEST_LABELS[k]}: client + server CPU µs/msg | ${ratioCell(ratios(tp[k], on, (x) => x.cpuClientUs + x.cpuServerUs, off))} | ${fmt(stat(tp[k], on, (x) => x.cpuClientUs + x.cpuServerUs).median, 2)} | ${fmt(stat(tp[k], off, (x) => x.cpuClientUs + x.cpuServerUs).median, 2)} |`,
      );
    }
    if (mem?.[on]) {
      for (const [side, key, unit] of [
        ['client', 'heap', 'heap'],
        ['client', 'rss', 'RSS'],
        ['server', 'heap', 'heap'],
        ['server', 'rss', 'RSS'],
      ]) {
        L.push(
          `| ${name} | idle connection, ${side} ${unit} KiB | ${ratioCell(ratios(mem, on, (x) => x[side][key], off))} | ${fmt(stat(mem, on, (x) => x[side][key] / 1024).median, 1)} | ${fmt(stat(mem, off, (x) => x[side][key] / 1024).median, 1)} |`,
        );
      }
    }
  }
  L.push('');

  // profile
  if (r.profile && Object.keys(r.profile).length) {
    L.push('## CPU profile of Continuum (node --cpu-prof)');
    L.push('');
    L.push(
      'One 4 s throughput window per test with `--cpu-prof` on both processes (profiles in `bench/results/profiles/`, not checked in). Shares are of the busy (non-idle) samples of the whole process life, setup included; self time, so a function that V8 inlined is counted in its caller. Paths are the built `dist` files.',
    );
    for (const [key, p] of Object.entries(r.profile)) {
      for (const side of ['client', 'server']) {
        if (!p[side]) continue;
        L.push('');
        L.push(`### ${TEST_LABELS[key]} — ${side} (${fmtInt(p.perSec)} msg/s while profiled; busy ${fmtInt(p[side].busyMs)} ms, idle ${fmtInt(p[side].idleMs)} ms)`);
        L.push('');
        if (p[side].modules) L.push(`By module: ${p[side].modules.map((x) => `${x.fn} ${x.share} %`).join(' · ')}`, '');
        L.push('| function (self time) | ms | share of busy |');
        L.push('|---|---|---|');
        for (const row of p[side].top.slice(0, 10)) L.push(`| \`${row.fn.replace(/\|/g, '\\|')}\` | ${row.selfMs} | ${row.share} % |`);
      }
    }
    L.push('');
  }
  if (r.heap && Object.keys(r.heap).length) {
    L.push('## Heap per idle client (heap snapshots)');
    L.push('');
    L.push(
      'Two `v8.getHeapSnapshot()` in the client process, after one warm-up connection and after 500 more, aggregated by node type and constructor name and diffed, per connection (snapshots count self sizes of JS objects and some native wrappers; "code" is compiled code and feedback that grows with the number of closures).',
    );
    L.push('');
    const hs = STACK_ORDER.filter((s) => r.heap[s]);
    L.push(`| | ${hs.map((s) => label(s)).join(' | ')} |`);
    L.push(`|---|${hs.map(() => '---').join('|')}|`);
    L.push(`| **total, bytes per client** | ${hs.map((s) => `**${fmtInt(r.heap[s].totalBytesPerConnection)}**`).join(' | ')} |`);
    const keys = [...new Set(hs.flatMap((s) => r.heap[s].top.map((t) => t.what)))];
    const cell = (s, k) => {
      const t = r.heap[s].top.find((x) => x.what === k);
      return t ? `${t.bytesPerConnection} B (${t.perConnection})` : '';
    };
    for (const k of keys) L.push(`| \`${k.trim()}\` | ${hs.map((s) => cell(s, k)).join(' | ')} |`);
    L.push('');
    L.push('Cells: bytes per client (objects per client); blank = not among that stack\'s top entries.');
    L.push('');
  }

  const findings = join(here, '..', 'findings.md');
  if (existsSync(findings)) {
    L.push(readFileSync(findings, 'utf8').trim());
    L.push('');
  }
  if (r.errors?.length) {
    L.push('## Measurements that failed in this run');
    L.push('');
    for (const e of r.errors) L.push(`- ${e.replace(/\n/g, ' ')}`);
    L.push('');
  }
  return L.join('\n');
}
