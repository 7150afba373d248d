// The benchmark orchestrator. Spawns one child process per end of each stack
// (servers pinned to core 0, clients to core 1 with taskset), drives them over IPC,
// interleaves the stacks within every repetition, and writes results/latest.json,
// results/chart.svg and ../BENCHMARKS.md.
//
//   pnpm bench                      full run (≥ 5 repetitions, ~15 min)
//   pnpm bench --quick              smoke: tiny counts, 1 repetition, < 60 s
//   pnpm bench --only=bundle,storm  a subset of phases
//   pnpm bench --reps=3             other repetition count
//   pnpm bench --report             regenerate BENCHMARKS.md and the chart from latest.json
import { execFileSync, fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { HIGH_WATER_BYTES, SIZES, sleep, summarize, windowFor, withTimeout } from './common.mjs';
import { ALL_STACKS, DEFLATE_STACKS, STACKS } from './stacks.mjs';
import { measureBundles } from './bundle.mjs';
import { summarizeProfiles } from './profile.mjs';
import { BROWSER_STACKS, chromiumArgs, chromiumCpu, chromiumPath, launchChromium, openUninstrumented, startPageServer, waitQuiet } from './browser.mjs';
import { writeReport } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const benchDir = resolve(here, '..');
const repoRoot = resolve(benchDir, '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const quick = flag('quick');
// --out=DIR keeps an experiment's figures (JSON, report, chart) out of the checked-in ones.
const customOut = option('out');
const outDir = customOut ? resolve(customOut) : quick ? join(benchDir, 'results', 'quick') : join(benchDir, 'results');
const jsonPath = join(outDir, quick || customOut ? 'quick.json' : 'latest.json');
const mdPath = quick || customOut ? join(outDir, 'BENCHMARKS.md') : join(repoRoot, 'BENCHMARKS.md');
const svgPath = join(outDir, 'chart.svg');

if (flag('report')) {
  const results = JSON.parse(readFileSync(jsonPath, 'utf8'));
  writeReport(results, { mdPath, svgPath, svgRelative: svgLink() });
  console.log(`wrote ${mdPath} and ${svgPath} from ${jsonPath}`);
  process.exit(0);
}

const P = quick
  ? {
      reps: 1,
      throughput: { warmupMs: 60, measureMs: 120, burst: 128 },
      echo: { n: 150, warmup: 30, timeLimitMs: 5000 },
      memory: { n: 50 },
      sessions: { n: 100, procs: 2, fanouts: 2 },
      resume: { cuts: 1, gapMs: 60, waitMs: 5000, cutMs: 400, everyMs: 200 },
      storm: { n: 60, procs: 2, timeLimitMs: 15_000 },
      browser: { n: 10_000, timeLimitMs: 20_000 },
    }
  : {
      reps: 5,
      throughput: { warmupMs: 300, measureMs: 800, burst: 128 },
      echo: { n: 3000, warmup: 300, timeLimitMs: 15_000 },
      memory: { n: 1000 },
      sessions: { n: 10_000, procs: 4, fanouts: 5 },
      resume: { cuts: 10, gapMs: 150, waitMs: 10_000, cutMs: 3000, everyMs: 200 },
      storm: { n: 2000, procs: 4, timeLimitMs: 40_000 },
      browser: { n: 100_000, timeLimitMs: 60_000 },
    };
const reps = Number(option('reps') ?? P.reps);
/**
 * The whole full run stays under ~24 min even on a busy machine: a repetition is not
 * started when it would leave too little time for the phases still to come (their
 * minimum: about one repetition each). At least one repetition of every phase runs;
 * the repetitions done are recorded per phase and shown in BENCHMARKS.md.
 */
const RUN_BUDGET_S = 24 * 60;
const MIN_PHASE_S = { bundle: 15, throughput: 90, memory: 50, sessions: 60, resume: 40, storm: 20, browser: 30, profile: 60 };
const phaseStart = {};
function withinBudget(phase, rep) {
  if (rep === 0 || quick) return true;
  const now = (Date.now() - t0Run) / 1000;
  const perRep = (Date.now() - phaseStart[phase]) / 1000 / rep;
  const later = ALL_PHASES.slice(ALL_PHASES.indexOf(phase) + 1).filter((p) => phases.includes(p));
  const reserve = later.reduce((a, p) => a + MIN_PHASE_S[p], 0);
  if (now + perRep + reserve <= RUN_BUDGET_S) return true;
  log(`  (${phase}: stopping after ${rep} repetition(s): another would leave less than ${reserve} s of the ${RUN_BUDGET_S / 60} min run for ${later.join(', ')})`);
  return false;
}
const repsDone = {};
/** --stacks=ws,continuum limits the interleaved phases to these stacks (debugging). */
const onlyStacks = option('stacks')?.split(',');
const pick = (list) => (onlyStacks ? list.filter((s) => onlyStacks.includes(s)) : list);
/** The smoke covers every adapter in the throughput phase and a few stacks elsewhere. */
const QUICK_STACKS = { memory: ['ws', 'continuum-rws', 'continuum'], resume: ['ws', 'socketio', 'continuum'] };
const ALL_PHASES = ['bundle', 'throughput', 'memory', 'sessions', 'resume', 'storm', 'browser', 'profile'];
const phases = option('only')?.split(',') ?? ALL_PHASES.filter((p) => !(quick && p === 'profile'));
for (const p of phases) if (!ALL_PHASES.includes(p)) throw new Error(`unknown phase ${p}; known: ${ALL_PHASES.join(', ')}`);

// ---- child processes ------------------------------------------------------------------

const nproc = availableParallelism();
const tasksetPath = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));
const pin = Boolean(tasksetPath) && nproc >= 2;
const SERVER_CORE = 0;
const CLIENT_CORE = 1;
const children = new Set();

class Child {
  constructor(file, args, core, extraArgv = []) {
    const nodeArgv = ['--expose-gc', ...extraArgv];
    this.proc = fork(join(here, file), args, {
      cwd: benchDir,
      execPath: pin ? tasksetPath : process.execPath,
      execArgv: pin ? ['-c', String(core), process.execPath, ...nodeArgv] : nodeArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.name = `${file} ${args.join(' ')}`;
    this.pending = new Map();
    this.nextId = 1;
    children.add(this);
    this.ready = withTimeout(
      new Promise((resolve, reject) => {
        this.proc.once('exit', (code, signal) => reject(new Error(`${this.name} exited (${code ?? signal}) before it was ready`)));
        this.proc.on('message', (msg) => {
          if (msg.type === 'ready') resolve(msg);
        });
      }),
      20_000,
      `${this.name} start`,
    );
    this.proc.on('message', (msg) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg);
      else p.reject(new Error(`${this.name}: ${msg.error}`));
    });
    this.proc.on('exit', () => {
      children.delete(this);
      for (const p of this.pending.values()) p.reject(new Error(`${this.name} exited`));
      this.pending.clear();
    });
  }
  call(cmd, args = {}, timeoutMs = 30_000) {
    const id = this.nextId++;
    const answer = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.proc.send({ ...args, cmd, id });
    return withTimeout(answer, timeoutMs, `${this.name} ${cmd}`);
  }
  kill(signal = 'SIGKILL') {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    children.delete(this);
  }
  exited() {
    return new Promise((r) => (this.proc.exitCode !== null || this.proc.signalCode !== null ? r() : this.proc.once('exit', r)));
  }
}

function killAll() {
  for (const c of [...children]) c.kill();
}
process.on('exit', killAll);
process.on('SIGINT', () => {
  killAll();
  process.exit(130);
});

const serverUrl = (serverStack, port) => (serverStack === 'socketio' ? `http://127.0.0.1:${port}` : `ws://127.0.0.1:${port}/`);

async function pair(def, { serverArgv = [], clientArgv = [] } = {}) {
  const server = new Child('server-proc.mjs', [def.server], SERVER_CORE, serverArgv);
  const client = new Child('client-proc.mjs', [def.client], CLIENT_CORE, clientArgv);
  const [ready] = await Promise.all([server.ready, client.ready]);
  if (ready.options) results.meta.serverOptions[def.server] = ready.options;
  return { server, client, url: serverUrl(def.server, ready.port) };
}

async function closePair({ server, client }) {
  await Promise.allSettled([client.call('close-all', {}, 5000)]);
  server.kill();
  client.kill();
  await Promise.all([server.exited(), client.exited()]);
}

/** Stack order per repetition: rotated, so no stack always runs first (A/B interleaving). */
function rotated(list, rep) {
  const k = rep % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

const errors = [];
function fail(where, error) {
  const message = `${where}: ${error?.message ?? error}`;
  errors.push(message);
  console.error(`  ! ${message}`);
}

const log = (...a) => console.log(...a);
const t0Run = Date.now();
const elapsed = () => `${((Date.now() - t0Run) / 1000).toFixed(0)} s`;

// ---- results ---------------------------------------------------------------------------

const results = {
  meta: {
    date: new Date().toISOString(),
    command: `pnpm bench${argv.length ? ` ${argv.join(' ')}` : ''}`,
    quick,
    reps,
    phases,
    params: P,
    machine: machine(),
    versions: versions(),
    serverOptions: {},
    loadavg: { start: loadavg().map((x) => +x.toFixed(2)) },
    pinned: pin ? `server on core ${SERVER_CORE}, clients on core ${CLIENT_CORE} (taskset)` : 'not pinned (taskset missing or 1 core)',
  },
  stacks: Object.fromEntries(Object.entries(ALL_STACKS).map(([k, v]) => [k, v.label])),
  throughput: {},
  latency: {},
  memory: {},
  sessions: {},
  bundle: null,
  resume: {},
  storm: null,
  browser: null,
  profile: null,
  heap: null,
  errors,
};

function push(table, key, stack, sample) {
  ((table[key] ??= {})[stack] ??= []).push(sample);
}

// ---- phase: throughput and latency ----------------------------------------------------

/** Sub-tests run in one server/client pair, each on a fresh connection. */
const THROUGHPUT_TESTS = [
  { key: 'c2s-text64', dir: 'c2s', size: 'text64' },
  { key: 'c2s-text64-burst1', dir: 'c2s', size: 'text64', burst: 1 },
  { key: 's2c-text64', dir: 's2c', size: 'text64' },
  { key: 'c2s-bin16k', dir: 'c2s', size: 'bin16k' },
  { key: 's2c-bin16k', dir: 's2c', size: 'bin16k' },
];
const ECHO_TESTS = [
  { key: 'echo-text64', size: 'text64' },
  { key: 'echo-bin16k', size: 'bin16k' },
];

async function throughputOnce(pr, test, measureMs = P.throughput.measureMs) {
  const { server, client, url } = pr;
  const burst = test.burst ?? P.throughput.burst;
  await server.call('mode', { mode: test.dir === 'c2s' ? 'count' : 'push', size: test.size, burst });
  await client.call('open', { url, n: 1, size: test.size });
  if (test.dir === 'c2s') await client.call('pump-start', { size: test.size, burst });
  else await server.call('push-start');
  await sleep(P.throughput.warmupMs);
  const a = await Promise.all([server.call('mark'), client.call('mark')]);
  await sleep(measureMs);
  const b = await Promise.all([server.call('mark'), client.call('mark')]);
  if (test.dir === 'c2s') await client.call('pump-stop');
  else await server.call('push-stop');
  await client.call('close-all', {}, 10_000);
  const [recv0, recv1, send0, send1] = test.dir === 'c2s' ? [a[0], b[0], a[1], b[1]] : [a[1], b[1], a[0], b[0]];
  const count = recv1.received - recv0.received;
  const seconds = Number(BigInt(recv1.t) - BigInt(recv0.t)) / 1e9;
  if (count <= 0) throw new Error(`no message received in the window`);
  return {
    perSec: count / seconds,
    mbPerSec: (count * SIZES[test.size].bytes) / seconds / 1e6,
    cpuSendUs: (send1.cpu - send0.cpu) / count,
    cpuRecvUs: (recv1.cpu - recv0.cpu) / count,
    // Server and client CPU per message, whichever end sends.
    cpuServerUs: (b[0].cpu - a[0].cpu) / count,
    cpuClientUs: (b[1].cpu - a[1].cpu) / count,
  };
}

async function echoOnce(pr, test) {
  const { server, client, url } = pr;
  await server.call('mode', { mode: 'echo', size: test.size });
  await client.call('open', { url, n: 1, size: test.size });
  const r = await client.call('echo', { size: test.size, ...P.echo }, P.echo.timeLimitMs + 10_000);
  await client.call('close-all', {}, 10_000);
  return { p50Us: r.p50Us, p99Us: r.p99Us, meanUs: r.meanUs, n: r.n, cpuClientPerRtUs: r.cpuPerRoundTripUs };
}

async function phaseThroughput() {
  phaseStart['throughput'] = Date.now();
  const stacks = Object.keys(ALL_STACKS);
  // The smoke runs one test of each kind on every stack.
  const tputTests = quick ? THROUGHPUT_TESTS.filter((t) => t.key === "c2s-text64" || t.key === "s2c-bin16k") : [...THROUGHPUT_TESTS];
  const echoTests = quick ? ECHO_TESTS.slice(0, 1) : [...ECHO_TESTS];
  // --tests=c2s-text64,echo-text64 narrows a run to some tests (debugging).
  const onlyTests = option('tests')?.split(',');
  if (onlyTests) {
    tputTests.splice(0, Infinity, ...THROUGHPUT_TESTS.filter((t) => onlyTests.includes(t.key)));
    echoTests.splice(0, Infinity, ...ECHO_TESTS.filter((t) => onlyTests.includes(t.key)));
  }
  // Every stack's pair of processes is started once per repetition and stays idle
  // while the others run; each test then runs on every stack back to back (rotated
  // order), so the stacks compared in a ratio are measured seconds apart, not a minute.
  const tests = [...tputTests.map((t) => ({ ...t, kind: 'tput' })), ...echoTests.map((t) => ({ ...t, kind: 'echo' }))];
  for (let rep = 0; rep < reps; rep++) {
    if (!withinBudget('throughput', rep)) break;
    repsDone['throughput'] = rep + 1;
    log(`[${elapsed()}] throughput + latency, repetition ${rep + 1}/${reps}`);
    const pairs = new Map();
    await Promise.all(
      pick(stacks).map(async (stack) => {
        try {
          pairs.set(stack, await pair(ALL_STACKS[stack]));
        } catch (error) {
          fail(`${stack} throughput rep ${rep + 1}: start`, error);
        }
      }),
    );
    try {
      for (const [ti, test] of tests.entries()) {
        const line = [];
        for (const stack of rotated(pick(stacks), rep + ti)) {
          const pr = pairs.get(stack);
          const deflate = stack in DEFLATE_STACKS;
          if (!pr || (deflate && !quick && (test.kind === 'echo' || test.key === 'c2s-text64-burst1'))) continue;
          // Let the previous stack's processes finish what they were flushing.
          await sleep(quick ? 20 : 150);
          try {
            if (test.kind === 'tput') {
              // The smoke's windows are tiny: on a starved CI machine one may see no
              // message at all, so it gets one retry with a longer window.
              const r = await throughputOnce(pr, test).catch((error) => {
                if (!quick) throw error;
                return throughputOnce(pr, test, P.throughput.measureMs * 5);
              });
              push(results.throughput, test.key, stack, { rep, load1: +loadavg()[0].toFixed(2), ...r });
              line.push(`${stack} ${Math.round(r.perSec)}/s`);
            } else {
              const r = await echoOnce(pr, test);
              push(results.latency, test.key, stack, { rep, load1: +loadavg()[0].toFixed(2), ...r });
              line.push(`${stack} ${r.p50Us.toFixed(0)} µs`);
            }
          } catch (error) {
            fail(`${stack} ${test.key} rep ${rep + 1}`, error);
          }
        }
        log(`  ${test.key.padEnd(18)} ${line.join(' · ')}`);
      }
    } finally {
      await Promise.all([...pairs.values()].map((pr) => closePair(pr)));
    }
  }
}

/**
 * One repetition of a phase that measures each stack on its own fresh pair of processes:
 * `measure(stack, pair)` per stack in rotated order, a failure reported as
 * `<stack> <what> rep <n>` (the next stack still runs), each pair closed afterwards.
 */
async function onFreshPairs(stacks, rep, what, measure) {
  for (const stack of rotated(pick(stacks), rep)) {
    let pr;
    try {
      pr = await pair(ALL_STACKS[stack]);
      await measure(stack, pr);
    } catch (error) {
      fail(`${stack} ${what} rep ${rep + 1}`, error);
    } finally {
      if (pr) await closePair(pr);
    }
  }
}

// ---- phase: memory per idle connection ------------------------------------------------

async function phaseMemory() {
  phaseStart['memory'] = Date.now();
  const stacks = quick ? QUICK_STACKS.memory : Object.keys(ALL_STACKS);
  const n = P.memory.n;
  for (let rep = 0; rep < reps; rep++) {
    if (!withinBudget('memory', rep)) break;
    repsDone['memory'] = rep + 1;
    log(`[${elapsed()}] memory, ${n} idle connections, repetition ${rep + 1}/${reps}`);
    await onFreshPairs(stacks, rep, 'memory', async (stack, { server, client, url }) => {
      await server.call('mode', { mode: 'idle' });
      // One connection first, so code paths compiled on first use are not counted.
      await client.call('open', { url, n: 1 });
      const [s0, c0] = await Promise.all([server.call('memory'), client.call('memory')]);
      const opened = await client.call('open', { url, n, append: true, concurrency: 32 }, 120_000);
      await sleep(quick ? 100 : 300);
      const [s1, c1] = await Promise.all([server.call('memory'), client.call('memory')]);
      const per = (a, b, k) => (b[k] - a[k]) / n;
      const sample = {
        rep,
        connectMs: opened.ms,
        serverConnections: s1.connections,
        client: { rss: per(c0, c1, 'rss'), heap: per(c0, c1, 'heapUsed'), external: per(c0, c1, 'external') },
        server: { rss: per(s0, s1, 'rss'), heap: per(s0, s1, 'heapUsed'), external: per(s0, s1, 'external') },
      };
      if (s1.connections < n) throw new Error(`server holds ${s1.connections} of ${n + 1} connections`);
      push(results.memory, 'idle', stack, sample);
      log(
        `  ${stack.padEnd(14)} client ${(sample.client.heap / 1024).toFixed(2)} KiB heap, ${(sample.client.rss / 1024).toFixed(1)} KiB rss · server ${(sample.server.heap / 1024).toFixed(2)} KiB heap, ${(sample.server.rss / 1024).toFixed(1)} KiB rss`,
      );
    });
  }
}

// ---- phase: 10,000 sessions, absolute, and a fan-out to all of them -------------------

async function phaseSessions() {
  phaseStart['sessions'] = Date.now();
  const stacks = ['ws', 'continuum'];
  const { n, procs, fanouts } = P.sessions;
  const perProc = Math.ceil(n / procs);
  for (let rep = 0; rep < reps; rep++) {
    if (!withinBudget('sessions', rep)) break;
    repsDone['sessions'] = rep + 1;
    log(`[${elapsed()}] ${n} idle sessions + fan-out, repetition ${rep + 1}/${reps}`);
    for (const stack of rotated(pick(stacks), rep)) {
      const def = STACKS[stack];
      const server = new Child('server-proc.mjs', [def.server], SERVER_CORE);
      const clients = Array.from({ length: procs }, () => new Child('client-proc.mjs', [def.client], CLIENT_CORE));
      try {
        const [{ port }] = await Promise.all([server.ready, ...clients.map((c) => c.ready)]);
        const url = serverUrl(def.server, port);
        await server.call('mode', { mode: 'idle' });
        await clients[0].call('open', { url, n: 1 });
        const s0 = await server.call('memory');
        const started = Date.now();
        await Promise.all(clients.map((c, i) => c.call('open', { url, n: perProc - (i === 0 ? 1 : 0), append: i === 0, concurrency: 32 }, 300_000)));
        const connectMs = Date.now() - started;
        await sleep(500);
        const s1 = await server.call('memory');
        if (s1.connections < n) throw new Error(`server holds ${s1.connections} of ${n} connections`);
        const fanout = async (channel) => {
          const times = [];
          for (let k = 0; k < fanouts; k++) {
            await Promise.all(clients.map((c) => c.call('fanout-arm')));
            const { t0, connections } = await server.call('fanout', { size: 'text64', channel });
            const got = await Promise.all(clients.map((c) => c.call('fanout-collect', { expected: perProc, timeLimitMs: 20_000 }, 30_000)));
            const count = got.reduce((a, g) => a + g.count, 0);
            if (count < connections) throw new Error(`fan-out${channel ? ' (publication)' : ''}: ${count} of ${connections} received`);
            times.push(Math.max(...got.map((g) => g.last)) - t0);
            await sleep(100);
          }
          return times;
        };
        const fan = await fanout();
        let pubFan;
        if (stack === 'continuum') {
          // The channels issue's encode-once fan-out, when the server and client have channels.
          try {
            const subs = await Promise.all(clients.map((c) => c.call('subscribe', { channel: 'bench' }, 120_000)));
            if (subs.every((x) => x.subscribed > 0)) pubFan = await fanout('bench');
          } catch (error) {
            fail(`continuum publication fan-out rep ${rep + 1}`, error);
          }
        }
        const sample = {
          rep,
          sessions: s1.connections,
          connectMs,
          absolute: { rss: s1.rss, heap: s1.heapUsed, external: s1.external },
          perSession: { rss: (s1.rss - s0.rss) / n, heap: (s1.heapUsed - s0.heapUsed) / n, external: (s1.external - s0.external) / n },
          fanoutMs: summarize(fan).median,
          fanoutSamplesMs: fan,
          ...(pubFan && { publicationFanoutMs: summarize(pubFan).median, publicationFanoutSamplesMs: pubFan }),
        };
        push(results.sessions, 'idle', stack, sample);
        log(
          `  ${stack.padEnd(14)} ${s1.connections} sessions: rss ${(s1.rss / 2 ** 20).toFixed(1)} MiB, heap ${(s1.heapUsed / 2 ** 20).toFixed(1)} MiB; ${(sample.perSession.heap / 1024).toFixed(2)} KiB heap/session; fan-out ${sample.fanoutMs.toFixed(1)} ms${pubFan ? `, publication fan-out ${sample.publicationFanoutMs.toFixed(1)} ms` : ''} (connect ${connectMs} ms)`,
        );
      } catch (error) {
        fail(`${stack} sessions rep ${rep + 1}`, error);
      } finally {
        server.kill();
        for (const c of clients) c.kill();
        await Promise.all([server.exited(), ...clients.map((c) => c.exited())]);
      }
    }
  }
}

// ---- phase: resume cost ------------------------------------------------------------------

async function phaseResume() {
  phaseStart['resume'] = Date.now();
  const stacks = quick ? QUICK_STACKS.resume : ['ws', 'socketio', 'rws', 'partysocket', 'continuum-rws', 'continuum'];
  const R = P.resume;
  for (let rep = 0; rep < reps; rep++) {
    if (!withinBudget('resume', rep)) break;
    repsDone['resume'] = rep + 1;
    log(`[${elapsed()}] resume cost (FaultProxy), repetition ${rep + 1}/${reps}`);
    await onFreshPairs(stacks, rep, 'resume', async (stack, { server, client, url }) => {
      await server.call('mode', { mode: 'push-seq', size: 'text64', burst: P.throughput.burst });
      await client.call('open', { url, n: 1, viaProxy: true, fast: true });
      await client.call('seq-reset');
      await server.call('push-start');
      await sleep(200);
      const sample = { rep };
      if (stack !== 'ws') {
        const lat = await client.call('cut-latency', { cuts: R.cuts, gapMs: R.gapMs, waitMs: R.waitMs, timeLimitMs: R.cuts * (R.gapMs + 2000) }, R.cuts * (R.gapMs + 2000) + 15_000);
        sample.cutToMessageMs = summarize(lat.samplesMs).median;
        sample.cutToMessageSamplesMs = lat.samplesMs;
        sample.cutsAnswered = `${lat.samplesMs.length}/${R.cuts}`;
      }
      const tp = await client.call('cut-throughput', { ms: R.cutMs, everyMs: stack === 'ws' ? 0 : R.everyMs }, R.cutMs + 20_000);
      await server.call('push-stop');
      Object.assign(sample, { perSec: tp.perSec, lost: tp.lost, dup: tp.dup, cuts: tp.cuts, cpuClientPerMsgUs: tp.cpuPerMsgUs });
      push(results.resume, 'cut', stack, sample);
      log(
        `  ${stack.padEnd(14)} ${sample.cutToMessageMs !== undefined ? `cut→message ${sample.cutToMessageMs.toFixed(1)} ms, ` : ''}${tp.cuts} cuts: ${Math.round(tp.perSec)}/s, lost ${tp.lost}, duplicated ${tp.dup}`,
      );
    });
  }
}

// ---- phase: reconnect storm ---------------------------------------------------------------

async function phaseStorm() {
  phaseStart['storm'] = Date.now();
  const S = P.storm;
  const perProc = Math.ceil(S.n / S.procs);
  const samples = [];
  for (let rep = 0; rep < reps; rep++) {
    if (!withinBudget('storm', rep)) break;
    repsDone['storm'] = rep + 1;
    log(`[${elapsed()}] reconnect storm, ${S.n} Continuum clients in ${S.procs} processes, repetition ${rep + 1}/${reps}`);
    // The server with every default (rate limits, concurrent-handshake limit included).
    let server = new Child('server-proc.mjs', ['continuum-defaults'], SERVER_CORE);
    const clients = Array.from({ length: S.procs }, () => new Child('client-proc.mjs', ['continuum'], CLIENT_CORE));
    try {
      const [{ port, options }] = await Promise.all([server.ready, ...clients.map((c) => c.ready)]);
      results.meta.serverOptions['continuum-defaults'] = options;
      const url = serverUrl('continuum', port);
      await Promise.all(clients.map((c) => c.call('storm-open', { url, n: perProc }, 120_000)));
      await sleep(quick ? 100 : 500);
      const since = Date.now();
      server.kill('SIGKILL');
      await server.exited();
      server = new Child('server-proc.mjs', ['continuum-defaults', String(port)], SERVER_CORE);
      await server.ready;
      const upMs = Date.now() - since;
      await server.call('lag-reset');
      const reports = await Promise.all(clients.map((c) => c.call('storm-report', { since, timeLimitMs: S.timeLimitMs }, S.timeLimitMs + 10_000)));
      const lag = await server.call('lag');
      const first = reports.flatMap((r) => r.firstAttempt);
      const due = reports.flatMap((r) => r.firstDue ?? []);
      const back = reports.flatMap((r) => r.reconnectedAt);
      const total = reports.reduce((a, r) => a + r.clients, 0);
      const histogram = (times) => {
        const bins = [];
        for (const t of times) {
          const b = Math.max(0, Math.floor(t / 100));
          bins[b] = (bins[b] ?? 0) + 1;
        }
        return Array.from(bins, (x) => x ?? 0);
      };
      const counts = histogram(first);
      const dueCounts = histogram(due);
      const sample = {
        rep,
        clients: total,
        attemptsSeen: first.length,
        reconnected: back.length,
        // Judged on the attempts as the clients' backoff scheduled them; the executed
        // ones also carry the harness's bottleneck (all clients on one core).
        maxBinShare: dueCounts.length ? Math.max(...dueCounts) / total : null,
        maxBinShareExecuted: Math.max(...counts) / total,
        bins: dueCounts,
        binsExecuted: counts,
        firstAttemptP50Ms: summarize(first).median,
        firstAttemptMaxMs: Math.max(...first),
        firstDueP50Ms: summarize(due).median,
        allReconnectedMs: back.length === total ? Math.max(...back) : null,
        reconnectedP50Ms: summarize(back).median,
        attemptsPerClient: reports.reduce((a, r) => a + r.attempts, 0) / total,
        serverUpMs: upMs,
        lagP99Ms: lag.p99Ms,
        lagMaxMs: lag.maxMs,
        clientLagMaxMs: Math.max(...reports.map((r) => r.lag?.maxMs ?? NaN)),
      };
      samples.push(sample);
      log(
        `  max 100 ms bin ${(sample.maxBinShare * 100).toFixed(2)} % as scheduled, ${(sample.maxBinShareExecuted * 100).toFixed(2)} % as executed, ${back.length}/${total} back, all in ${sample.allReconnectedMs ?? '—'} ms, server up after ${upMs} ms, server lag p99 ${lag.p99Ms.toFixed(1)} ms, client lag max ${sample.clientLagMaxMs.toFixed(0)} ms`,
      );
    } catch (error) {
      fail(`storm rep ${rep + 1}`, error);
    } finally {
      server.kill();
      for (const c of clients) c.kill();
      await Promise.all([server.exited(), ...clients.map((c) => c.exited())]);
    }
  }
  results.storm = { samples };
}

// ---- phase: a Chromium page sending small messages (issue 10) ----------------------------

/**
 * Debian's Chromium (Playwright's `executablePath`, never a downloaded browser) loads a
 * page that opens one connection and sends `n` 64 B text messages as fast as the stack's
 * backpressure allows; the server (its own process, on the server core) counts them and
 * replies once all arrived, with its receive time of the first and the last. The figure
 * is n ÷ (server's last receive − page's first send), both `Date.now()` (the system
 * clock; 1 ms resolution). Stacks are interleaved per repetition, each run in a fresh
 * browser context (a fresh renderer).
 * `--browser-pages=playwright` opens the pages through Playwright's page API instead
 * (DevTools Network domain on: every WebSocket frame becomes a CDP event; debugging only).
 */
async function phaseBrowser() {
  phaseStart['browser'] = Date.now();
  const B = P.browser;
  const stacks = pick(Object.keys(BROWSER_STACKS));
  const viaPlaywright = option('browser-pages') === 'playwright';
  // The script-tag build; the drop-in ReconnectingWebSocket is in it or, when the
  // package ships it as its own script, in reconnecting-websocket.min.js.
  const dist = join(repoRoot, 'packages', 'browser', 'dist');
  const scripts = [join(dist, 'continuum.min.js'), join(dist, 'reconnecting-websocket.min.js')].filter((f, i) => i === 0 || existsSync(f));
  const out = { meta: {}, sends: {}, skipped: {} };
  results.browser = out;
  const site = await startPageServer(scripts);
  let browser;
  try {
    log(`[${elapsed()}] browser: Chromium page, ${B.n.toLocaleString('en-US')} × 64 B sends (${chromiumPath})`);
    browser = await launchChromium();
    const cdp = await browser.newBrowserCDPSession();
    const hash = createHash('sha256');
    for (const f of scripts) hash.update(readFileSync(f));
    out.meta = {
      chromium: browser.version(),
      chromiumPath,
      chromiumArgs,
      playwright: JSON.parse(readFileSync(join(realpathSync(join(benchDir, 'node_modules', 'playwright')), 'package.json'), 'utf8')).version,
      pages: viaPlaywright ? 'Playwright page API (DevTools Network domain on)' : 'browser-level CDP Target.createTarget in a fresh browser context (no DevTools domain enabled on the page)',
      n: B.n,
      bytes: SIZES.text64.bytes,
      highWaterBytes: HIGH_WATER_BYTES,
      waitMode: 'timer',
      continuumWindow: windowFor('text64'),
      scripts: { files: scripts.map((f) => f.slice(repoRoot.length + 1)), sha256: hash.digest('hex').slice(0, 12) },
      placement: pin ? `pinned to core ${SERVER_CORE} with taskset; Chromium is not pinned` : 'nothing pinned',
    };
    for (let rep = 0; rep < reps; rep++) {
      if (!withinBudget('browser', rep)) break;
      repsDone['browser'] = rep + 1;
      log(`[${elapsed()}] browser sends, repetition ${rep + 1}/${reps}`);
      const servers = {};
      try {
        for (const name of new Set(stacks.map((s) => BROWSER_STACKS[s].server))) servers[name] = new Child('server-proc.mjs', [name], SERVER_CORE);
        for (const child of Object.values(servers)) child.port = (await child.ready).port;
        const line = [];
        for (const stack of rotated(stacks, rep)) {
          // Let the previous run's renderer and server settle.
          await sleep(quick ? 50 : 300);
          try {
            const r = await browserOnce({ cdp, browser, site, server: servers[BROWSER_STACKS[stack].server], stack, viaPlaywright });
            if (r.skipped) {
              out.skipped[stack] = r.skipped;
              line.push(`${stack} skipped (${r.skipped})`);
              continue;
            }
            push(out, 'sends', stack, { rep, load1: +loadavg()[0].toFixed(2), ...r });
            line.push(`${stack} ${fmtInt(r.perSec)}/s (${r.ms.toFixed(0)} ms)`);
          } catch (error) {
            fail(`browser ${stack} rep ${rep + 1}`, error);
          }
        }
        log(`  ${line.join(' · ')}`);
      } finally {
        for (const child of Object.values(servers)) child.kill();
        await Promise.all(Object.values(servers).map((c) => c.exited()));
      }
    }
  } finally {
    await browser?.close().catch(() => {});
    await site.close();
  }
}

const fmtInt = (x) => Math.round(x).toLocaleString('en-US');

async function browserOnce({ cdp, browser, site, server, stack, viaPlaywright }) {
  const B = P.browser;
  const def = BROWSER_STACKS[stack];
  await server.call('mode', { mode: 'count-reply', n: B.n });
  const run = site.expect({
    stack,
    url: serverUrl(def.server, server.port),
    n: B.n,
    bytes: SIZES.text64.bytes,
    highWaterBytes: HIGH_WATER_BYTES,
    window: windowFor('text64'),
    waitMode: 'timer',
    timeLimitMs: B.timeLimitMs,
  });
  const opened = Date.now();
  let target;
  try {
    if (viaPlaywright) {
      const context = await browser.newContext();
      target = { close: () => context.close() };
      await (await context.newPage()).goto(run.url);
    } else target = await openUninstrumented(cdp, run.url);
    // The page asks for "go" once its connection is open; a result first is a failure.
    const first = await withTimeout(
      Promise.race([run.ready.then((go) => ({ go })), run.result.then((result) => ({ result }))]),
      30_000,
      `browser ${stack}: page load and connect`,
    );
    if (first.result) {
      if (first.result.skip) return { skipped: first.result.error };
      throw new Error(first.result.error);
    }
    const openMs = Date.now() - opened;
    // The connection is open and the page waits for "go"; Chromium's own start-up work
    // for the new window has to be over before the clock starts.
    const settle = await waitQuiet(cdp, { maxMs: quick ? 3000 : 5000 });
    const [c0, s0] = await Promise.all([chromiumCpu(cdp), server.call('mark')]);
    first.go();
    const r = await withTimeout(run.result, B.timeLimitMs + 10_000, `browser ${stack}: ${B.n} sends`);
    const [c1, s1] = await Promise.all([chromiumCpu(cdp), server.call('mark')]);
    if (!r.ok) throw new Error(r.error);
    if (r.reply.count !== B.n) throw new Error(`server reported ${r.reply.count} of ${B.n} messages`);
    const ms = r.reply.lastAt - r.t0;
    // Both ends read the system clock (Date.now(), whole ms): a last receive later than
    // the page got the reply (beyond the two truncations), or not after the first send,
    // means the clock stepped during the run.
    if (!(ms > 0) || r.reply.lastAt > r.replyAt + 2) throw new Error(`clocks disagree: first send ${r.t0}, server's last receive ${r.reply.lastAt}, reply received ${r.replyAt} (Date.now())`);
    const cpu = { renderer: 0, network: 0, browser: 0, other: 0 };
    for (const [type, seconds] of Object.entries(c1)) {
      const key = type === 'renderer' || type === 'browser' ? type : type.includes('NetworkService') ? 'network' : 'other';
      cpu[key] += ((seconds - (c0[type] ?? 0)) * 1e6) / B.n;
    }
    cpu.server = (s1.cpu - s0.cpu) / B.n;
    return {
      perSec: B.n / (ms / 1000),
      ms,
      firstMs: r.reply.firstAt - r.t0,
      serverSpanMs: r.reply.lastAt - r.reply.firstAt,
      sendLoopMs: r.sendLoopMs,
      replyMs: r.replyMs,
      waits: r.waits,
      waitMs: r.waitMs,
      openMs,
      settleMs: settle.ms,
      ...(!settle.quiet && { notQuiet: true }),
      cpuUsPerMsg: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, +v.toFixed(2)])),
      ...(r.stats.framesOut !== undefined && { framesOut: r.stats.framesOut, messagesPerFrame: r.stats.messagesOut / r.stats.framesOut }),
    };
  } finally {
    run.forget();
    await target?.close();
  }
}

// ---- phase: CPU profile of Continuum's hot paths ---------------------------------------

async function phaseProfile() {
  const dir = join(benchDir, 'results', 'profiles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`[${elapsed()}] CPU profile (node --cpu-prof) of Continuum, 64 B both directions`);
  const out = {};
  for (const test of THROUGHPUT_TESTS.filter((t) => t.key !== 'c2s-text64-burst1')) {
    const sub = join(dir, test.key);
    mkdirSync(join(sub, 'server'), { recursive: true });
    mkdirSync(join(sub, 'client'), { recursive: true });
    const pr = await pair(STACKS.continuum, {
      serverArgv: ['--cpu-prof', `--cpu-prof-dir=${join(sub, 'server')}`],
      clientArgv: ['--cpu-prof', `--cpu-prof-dir=${join(sub, 'client')}`],
    });
    try {
      const r = await throughputOnce(pr, { ...test }, 4000);
      out[test.key] = { perSec: r.perSec };
      await Promise.all([pr.server.call('exit'), pr.client.call('exit')]);
      await Promise.all([pr.server.exited(), pr.client.exited()]);
      for (const side of ['server', 'client']) {
        const files = readdirSync(join(sub, side)).filter((f) => f.endsWith('.cpuprofile'));
        if (files.length) out[test.key][side] = summarizeProfiles(join(sub, side, files[0]), 15);
      }
    } catch (error) {
      fail(`profile ${test.key}`, error);
    } finally {
      pr.server.kill();
      pr.client.kill();
    }
  }
  results.profile = out;
  await heapBreakdown();
}

/** Where an idle client's bytes go: heap snapshots before and after 500 connections, diffed. */
async function heapBreakdown() {
  const n = 500;
  const out = {};
  log(`[${elapsed()}] heap snapshots: ${n} idle clients of ws, Continuum ReconnectingWebSocket, Continuum Client`);
  for (const stack of ['ws', 'continuum-rws', 'continuum']) {
    let pr;
    try {
      pr = await pair(STACKS[stack]);
      await pr.server.call('mode', { mode: 'idle' });
      await pr.client.call('open', { url: pr.url, n: 1 });
      const a = await pr.client.call('heap-aggregate', {}, 120_000);
      await pr.client.call('open', { url: pr.url, n, append: true, concurrency: 32 }, 120_000);
      const b = await pr.client.call('heap-aggregate', {}, 120_000);
      const rows = Object.entries(b.agg)
        .map(([key, [count, bytes]]) => {
          const [c0, b0] = a.agg[key] ?? [0, 0];
          return { what: key, perConnection: +((count - c0) / n).toFixed(2), bytesPerConnection: Math.round((bytes - b0) / n) };
        })
        .filter((r) => r.bytesPerConnection > 0)
        .sort((x, y) => y.bytesPerConnection - x.bytesPerConnection);
      out[stack] = { totalBytesPerConnection: rows.reduce((t, r) => t + r.bytesPerConnection, 0), top: rows.slice(0, 14) };
      log(`  ${stack.padEnd(14)} ${(out[stack].totalBytesPerConnection / 1024).toFixed(2)} KiB of objects per client; top: ${rows.slice(0, 4).map((r) => `${r.what} ${r.bytesPerConnection} B`).join(', ')}`);
    } catch (error) {
      fail(`heap breakdown ${stack}`, error);
    } finally {
      if (pr) await closePair(pr);
    }
  }
  results.heap = out;
}

// ---- machine and versions -------------------------------------------------------------

function machine() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1].trim();
  } catch {}
  let nprocOut = String(nproc);
  try {
    nprocOut = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {}
  return { nproc: nprocOut, cpu: cpuModel, node: process.version, os: `${process.platform} ${release()}`, memGiB: +(totalmem() / 2 ** 30).toFixed(1) };
}

function versions() {
  const pkgVersion = (name, from = benchDir) => {
    try {
      const dir = realpathSync(join(from, 'node_modules', name));
      return { version: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version, dir };
    } catch {
      return { version: null, dir: null };
    }
  };
  const out = {};
  for (const name of ['ws', 'socket.io', 'socket.io-client', 'reconnecting-websocket', 'partysocket']) out[name] = pkgVersion(name).version;
  const sio = pkgVersion('socket.io').dir;
  const sioc = pkgVersion('socket.io-client').dir;
  if (sio) out['engine.io'] = pkgVersion('engine.io', resolve(sio, '..', '..')).version;
  if (sioc) {
    const eio = pkgVersion('engine.io-client', resolve(sioc, '..', '..'));
    out['engine.io-client'] = eio.version;
    if (eio.dir) out['ws (under engine.io-client)'] = pkgVersion('ws', resolve(eio.dir, '..', '..')).version;
  }
  for (const name of ['protocol', 'core', 'node', 'browser', 'server', 'testing']) {
    out[`@continuum/${name}`] = JSON.parse(readFileSync(join(repoRoot, 'packages', name, 'package.json'), 'utf8')).version;
  }
  try {
    out.continuumCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    if (dirty) out.continuumCommit += ' (+ uncommitted changes under packages/)';
  } catch {}
  out.rollup = pkgVersion('rollup').version;
  const pluginTerser = pkgVersion('@rollup/plugin-terser').dir;
  if (pluginTerser) out.terser = pkgVersion('terser', resolve(pluginTerser, '..', '..', '..')).version;
  return out;
}

function svgLink() {
  return quick ? 'chart.svg' : 'bench/results/chart.svg';
}

// ---- run -------------------------------------------------------------------------------------

mkdirSync(outDir, { recursive: true });
log(`Continuum bench: ${quick ? 'quick smoke' : 'full run'}, ${reps} repetition(s), phases ${phases.join(', ')}`);
log(`machine: ${results.meta.machine.nproc} cores, ${results.meta.machine.cpu}, node ${process.version}; ${results.meta.pinned}`);

const PHASES = {
  bundle: async () => {
    log(`[${elapsed()}] bundle sizes (rollup + node-resolve + commonjs + terser, browser)`);
    results.bundle = await measureBundles(benchDir, repoRoot);
    for (const b of results.bundle.entries) log(`  ${b.name.padEnd(40)} ${b.error ? `ERROR ${b.error}` : `${(b.gzip / 1024).toFixed(2)} KiB gzip, ${(b.brotli / 1024).toFixed(2)} KiB brotli`}`);
    for (const b of results.bundle.entries) if (b.error) fail(`bundle ${b.name}`, b.error);
  },
  throughput: phaseThroughput,
  memory: phaseMemory,
  sessions: phaseSessions,
  resume: phaseResume,
  storm: phaseStorm,
  browser: phaseBrowser,
  profile: phaseProfile,
};
for (const phase of ALL_PHASES) {
  if (!phases.includes(phase)) continue;
  try {
    await PHASES[phase]();
  } catch (error) {
    fail(`phase ${phase}`, error);
  }
}
killAll();
results.meta.durationS = Math.round((Date.now() - t0Run) / 1000);
results.meta.loadavg.end = loadavg().map((x) => +x.toFixed(2));
results.meta.repsDone = repsDone;

// Merge a partial run (--only) into the existing results, so one phase can be re-run.
let merged = results;
if (option('only') && existsSync(jsonPath)) {
  const previous = JSON.parse(readFileSync(jsonPath, 'utf8'));
  merged = { ...previous, meta: { ...previous.meta, params: P, partialRerun: { ...results.meta, phases } } };
  for (const phase of phases) {
    if (phase === 'throughput') {
      merged.throughput = results.throughput;
      merged.latency = results.latency;
    } else merged[phase] = results[phase];
    if (phase === 'profile') merged.heap = results.heap;
  }
  merged.errors = [...(previous.errors ?? []).filter((e) => !phases.some((p) => e.toLowerCase().includes(p))), ...errors];
}
writeFileSync(jsonPath, `${JSON.stringify(merged, null, 1)}\n`);
writeReport(merged, { mdPath, svgPath, svgRelative: svgLink() });
log(`[${elapsed()}] wrote ${jsonPath}, ${svgPath} and ${mdPath}`);
if (errors.length) {
  console.error(`${errors.length} measurement(s) failed:\n  ${errors.join('\n  ')}`);
  process.exit(1);
}
process.exit(0);
