#!/usr/bin/env node
// The root `pnpm test`: every check CI runs, in order, with one summary.
//
//   a. system prerequisites (Debian chromium, redis-server, python3-websockets)
//   b. typecheck            tsc -p tsconfig.json --noEmit
//   c. build                pnpm build (rollup)
//   d. unit + integration   vitest (counts each test)
//   e. example smoke        examples/node-echo, node-worker, bundler-app (built first)
//                           and demo (what `pnpm start` runs) each check themselves
//   f. publint --strict     in each publishable packages/* dir
//   g. attw --pack .        in each publishable packages/* dir
//   h0. bench smoke         pnpm bench --quick (harness only; no figure asserted)
//   h. size budget          size-limit (.size-limit.json), min + gzip -9
//   h2. API reference      typedoc builds docs/api (`pnpm run docs`)
//   i. browser e2e          Playwright, only once e2e/playwright.config.ts exists
//
// A failing step does not stop the run, so the summary is complete. vitest and
// Playwright contribute their own test counts (from their JSON reporters); every
// other step counts as one test. The last line is `N passed, N failed`, which CI
// reads (TOOLCHAIN trap 11), and the exit code is non-zero on any failure.
//
// Options: `--only=typecheck,build,...` runs a subset (step ids below).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
process.chdir(root);

const rootPkg = JSON.parse(readFileSync('package.json', 'utf8'));
const pnpmVersion = /^pnpm@([^+]+)/.exec(rootPkg.packageManager ?? '')?.[1];
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : null;

const bin = (name) => join(root, 'node_modules', '.bin', name);
const childEnv = {
  ...process.env,
  // Logs are read from files in CI: no colour escapes there. picocolors-based
  // tools (vitest, publint) treat any FORCE_COLOR as "on" but honour NO_COLOR;
  // chalk-based attw needs FORCE_COLOR=0.
  ...(process.stdout.isTTY ? {} : { NO_COLOR: '1', FORCE_COLOR: '0' }),
  PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}`,
};

const MIN = 60_000;
const results = []; // { name, passed, failed, note }
let totalPassed = 0;
let totalFailed = 0;
const notes = [];

function header(title) {
  const line = '='.repeat(78);
  console.log(`\n${line}\n== ${title}\n${line}`);
}

function record(name, passed, failed, note = '') {
  totalPassed += passed;
  totalFailed += failed;
  results.push({ name, passed, failed, note });
  const verdict = failed ? 'FAIL' : 'ok';
  console.log(`-- ${verdict}: ${name}${note ? ` (${note})` : ''}`);
}

/**
 * Runs a command with output streamed (or captured), in its own process group
 * so a timeout can end everything it started (a leaked server, a browser).
 */
function run(cmd, args, { cwd = root, env = {}, timeoutMs = 10 * MIN, capture = false } = {}) {
  return new Promise((done) => {
    console.log(`$ ${[cmd, ...args].join(' ')}${cwd === root ? '' : `   (in ${cwd})`}`);
    const child = spawn(cmd, args, {
      cwd,
      env: { ...childEnv, ...env },
      stdio: capture ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    if (capture) {
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.log(`!! ${cmd} still running after ${timeoutMs / 1000} s: ending its process group`);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      done({ code: 127, stdout, stderr: `${stderr}${err.message}\n`, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code: code ?? (signal ? 128 : 1), stdout, stderr, timedOut });
    });
  });
}

const ok = (r) => r.code === 0 && !r.timedOut;

// pnpm: the one on PATH if it is the packageManager version (a different version
// refuses to run, TOOLCHAIN trap 2), else through npx.
function pnpmCommand() {
  const r = spawnSync('pnpm', ['--version'], { encoding: 'utf8', env: childEnv });
  if (r.status === 0 && r.stdout.trim() === pnpmVersion) return { cmd: 'pnpm', pre: [], native: true };
  return { cmd: 'npx', pre: ['--yes', `pnpm@${pnpmVersion}`], native: false };
}
const pnpm = pnpmCommand();
const runPnpm = (args, opts) => run(pnpm.cmd, [...pnpm.pre, ...args], opts);

/** Publishable workspace packages: packages/* that are not private. */
function publishablePackages() {
  return readdirSync('packages')
    .filter((d) => existsSync(join('packages', d, 'package.json')))
    .map((d) => ({ dir: join('packages', d), pkg: JSON.parse(readFileSync(join('packages', d, 'package.json'), 'utf8')) }))
    .filter(({ pkg }) => !pkg.private)
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

/** A package whose sources are missing is a failure of its packaging checks, with a clear reason. */
function missingSources(dir) {
  return existsSync(join(dir, 'src', 'index.ts')) ? null : `${dir}/src/index.ts does not exist: nothing to build or publish`;
}

function freePort() {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => done(port));
    });
  });
}

// ---------------------------------------------------------------------------
const steps = [];
const step = (id, title, fn) => steps.push({ id, title, fn });

step('prereqs', 'a. system prerequisites (chromium, redis-server, python3-websockets)', async () => {
  const checks = [
    { pkg: 'chromium', what: '/usr/bin/chromium', present: () => existsSync('/usr/bin/chromium') },
    {
      pkg: 'redis-server',
      what: 'redis-server on PATH',
      present: () => spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0,
    },
    {
      pkg: 'python3-websockets',
      what: "/usr/bin/python3 -c 'import websockets'",
      present: () =>
        spawnSync('/usr/bin/python3', ['-c', 'import websockets'], { stdio: 'ignore' }).status === 0,
    },
  ];
  let missing = checks.filter((c) => !c.present());
  if (missing.length === 0) {
    console.log('all present: /usr/bin/chromium, redis-server, python3 websockets');
    return record('prerequisites', 1, 0);
  }
  const names = missing.map((c) => c.pkg);
  const installCmd = `apt-get update && apt-get install -y ${names.join(' ')}`;
  console.log(`missing: ${missing.map((c) => `${c.pkg} (${c.what})`).join(', ')}`);
  const isRoot = process.getuid?.() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!isRoot || !hasApt) {
    console.log(
      hasApt
        ? `not root: install them with\n    sudo sh -c '${installCmd}'`
        : `no apt-get here: install Chromium (at /usr/bin/chromium), redis-server and python3's websockets module (Debian: ${installCmd})`,
    );
    return record('prerequisites', 0, 1, `missing ${names.join(', ')}`);
  }
  const aptEnv = { DEBIAN_FRONTEND: 'noninteractive' };
  const upd = await run('apt-get', ['update'], { env: aptEnv, timeoutMs: 10 * MIN });
  if (!ok(upd)) console.log('apt-get update failed; trying the install anyway');
  await run('apt-get', ['install', '-y', ...names], {
    env: aptEnv,
    timeoutMs: 15 * MIN,
  });
  missing = checks.filter((c) => !c.present());
  if (missing.length) {
    return record('prerequisites', 0, 1, `still missing after apt-get: ${missing.map((c) => c.pkg).join(', ')}`);
  }
  record('prerequisites', 1, 0, `installed ${names.join(', ')}`);
});

step('typecheck', 'b. typecheck: tsc -p tsconfig.json --noEmit', async () => {
  const r = await run(bin('tsc'), ['-p', 'tsconfig.json', '--noEmit'], { timeoutMs: 10 * MIN });
  record('typecheck', ok(r) ? 1 : 0, ok(r) ? 0 : 1);
});

step('build', 'c. build: pnpm build (rollup)', async () => {
  const r = await runPnpm(['run', 'build'], { timeoutMs: 10 * MIN });
  record('build', ok(r) ? 1 : 0, ok(r) ? 0 : 1);
});

step('vitest', 'd. vitest', async () => {
  const out = join(root, '.vitest-results.json');
  rmSync(out, { force: true });
  const r = await run(
    bin('vitest'),
    ['run', '--reporter=default', '--reporter=json', `--outputFile=${out}`],
    { timeoutMs: 30 * MIN },
  );
  let report = null;
  try {
    report = JSON.parse(readFileSync(out, 'utf8'));
  } catch {}
  if (!report) {
    return record('vitest', 0, 1, `no JSON report (exit ${r.code}${r.timedOut ? ', timed out' : ''})`);
  }
  let passed = report.numPassedTests ?? 0;
  let failed = report.numFailedTests ?? 0;
  // A file that fails to load has no test results of its own: count it once.
  const brokenFiles = (report.testResults ?? []).filter(
    (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed'),
  );
  failed += brokenFiles.length;
  let note = `${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped/todo`;
  if (brokenFiles.length) note += `; ${brokenFiles.length} file(s) failed outside any test`;
  if (!ok(r) && failed === 0) {
    failed = 1;
    note += `; vitest exited ${r.code}${r.timedOut ? ' (timed out)' : ''}${report.numTotalTests === 0 ? ': no tests ran' : ''}`;
  }
  record('vitest', passed, failed, note);
});

step('example', 'e. examples in smoke mode: node-echo, node-worker, bundler-app, and the demo `pnpm start` runs', async () => {
  // Each exits by itself in smoke mode: 0 when its check passed.
  const examples = [
    { name: 'example node-echo', main: 'examples/node-echo/main.mjs' },
    { name: 'example node-worker', main: 'examples/node-worker/worker.mjs' },
    { name: 'example bundler-app', main: 'examples/bundler-app/serve.mjs', build: 'examples/bundler-app' },
    { name: 'example demo', main: 'examples/demo/server.mjs', proxyPort: true },
    { name: 'example chat-cluster', main: 'examples/chat-cluster/cluster.mjs' },
  ];
  for (const { name, main, proxyPort, build } of examples) {
    if (!existsSync(main)) {
      record(name, 0, 1, `${main} missing`);
      continue;
    }
    if (build) {
      const b = await run(bin('rollup'), ['-c', '--silent'], { cwd: join(root, build), timeoutMs: 3 * MIN });
      if (!ok(b)) {
        record(name, 0, 1, `its rollup build failed (exit ${b.code})`);
        continue;
      }
    }
    const env = { PORT: String(await freePort()), CONTINUUM_EXAMPLE_SMOKE: '1' };
    if (proxyPort) env.PROXY_PORT = String(await freePort());
    const r = await run('node', [main], { env, timeoutMs: 1 * MIN });
    record(name, ok(r) ? 1 : 0, ok(r) ? 0 : 1, ok(r) ? '' : `exit ${r.code}${r.timedOut ? ', timed out' : ''}`);
  }
});

step('publint', 'f. publint --strict (each publishable package)', async () => {
  // publint packs with the package manager it detects; without the right pnpm,
  // npm packs the same files.
  const packArgs = pnpm.native ? [] : ['--pack', 'npm'];
  for (const { dir, pkg } of publishablePackages()) {
    const name = `publint ${pkg.name}`;
    const missing = missingSources(dir);
    if (missing) {
      console.log(`${name}: ${missing}`);
      record(name, 0, 1, 'no sources');
      continue;
    }
    const r = await run(bin('publint'), ['--strict', ...packArgs], { cwd: join(root, dir), timeoutMs: 3 * MIN });
    record(name, ok(r) ? 1 : 0, ok(r) ? 0 : 1);
  }
});

step('attw', 'g. attw --pack . (each publishable package)', async () => {
  for (const { dir, pkg } of publishablePackages()) {
    const name = `attw ${pkg.name}`;
    const missing = missingSources(dir);
    if (missing) {
      console.log(`${name}: ${missing}`);
      record(name, 0, 1, 'no sources');
      continue;
    }
    // The browser IIFE is reached only through `unpkg`/`jsdelivr`, not exports,
    // so attw has no untyped entry point to trip on (TOOLCHAIN trap 7).
    const r = await run(bin('attw'), ['--pack', '.', '--format', 'table-flipped'], {
      cwd: join(root, dir),
      timeoutMs: 3 * MIN,
    });
    record(name, ok(r) ? 1 : 0, ok(r) ? 0 : 1);
  }
});

step('bench', 'h0. benchmark harness smoke: pnpm bench --quick (figures are never asserted)', async () => {
  // The benchmark issue: CI runs the quick bench only to prove the harness works.
  // It writes bench/results/quick/ (gitignored), never BENCHMARKS.md.
  if (!existsSync('bench/run.sh')) return record('bench --quick', 0, 1, 'bench/run.sh missing');
  const r = await run('bash', ['bench/run.sh', '--quick'], { timeoutMs: 5 * MIN });
  record('bench --quick', ok(r) ? 1 : 0, ok(r) ? 0 : 1, ok(r) ? '' : `exit ${r.code}${r.timedOut ? ', timed out' : ''}`);
});

step('size', 'h. size budget: size-limit (.size-limit.json), min + gzip -9', async () => {
  const config = JSON.parse(readFileSync('.size-limit.json', 'utf8'));
  const absent = config.filter((c) => ![].concat(c.path).every((p) => existsSync(p)));
  for (const c of absent) {
    console.log(`${c.name}: ${[].concat(c.path).join(', ')} was not built (is src/iife.ts there?)`);
  }
  const r = await run(bin('size-limit'), ['--json'], { capture: true, timeoutMs: 3 * MIN });
  let checks = null;
  try {
    checks = JSON.parse(r.stdout);
  } catch {}
  if (!checks) {
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return record('size-limit', 0, 1, `no result (exit ${r.code})`);
  }
  const kib = (n) => `${(n / 1024).toFixed(2)} KiB`;
  for (const c of checks) {
    console.log(
      `${c.passed ? 'ok  ' : 'OVER'} ${c.name}: ${c.size} B = ${kib(c.size)} (limit ${kib(c.sizeLimit)})`,
    );
  }
  const good = ok(r) && checks.every((c) => c.passed);
  record('size-limit', good ? 1 : 0, good ? 0 : 1);
});

step('docs', 'h2. API reference: typedoc (pnpm run docs) builds docs/api', async () => {
  const r = await run('node', ['scripts/docs.mjs', '--logLevel', 'Warn'], { timeoutMs: 5 * MIN });
  const built = existsSync(join(root, 'docs', 'api', 'index.html'));
  record('typedoc', ok(r) && built ? 1 : 0, ok(r) && built ? 0 : 1, ok(r) ? (built ? '' : 'no docs/api/index.html') : `exit ${r.code}`);
});

step('e2e', 'i. browser e2e: Playwright (e2e/)', async () => {
  if (!existsSync('e2e/playwright.config.ts')) {
    console.log('e2e/playwright.config.ts does not exist yet: nothing to run');
    notes.push('Playwright e2e not set up yet (no e2e/playwright.config.ts)');
    return;
  }
  const out = join(root, '.playwright-results.json');
  rmSync(out, { force: true });
  // Debian's chromium, never a downloaded browser (e2e/README.md).
  const env = {
    PLAYWRIGHT_JSON_OUTPUT_NAME: out,
    PLAYWRIGHT_JSON_OUTPUT_FILE: out,
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1',
    CHROMIUM_PATH: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  };
  const args = ['exec', 'playwright', 'test', '--reporter=list,json'];
  const r = existsSync('e2e/package.json')
    ? await runPnpm(['--dir', 'e2e', ...args], { env, timeoutMs: 30 * MIN })
    : await runPnpm([...args, '--config', 'e2e/playwright.config.ts'], { env, timeoutMs: 30 * MIN });
  let report = null;
  try {
    report = JSON.parse(readFileSync(out, 'utf8'));
  } catch {}
  if (!report?.stats) {
    return record('playwright', 0, 1, `no JSON report (exit ${r.code}${r.timedOut ? ', timed out' : ''})`);
  }
  const { expected = 0, unexpected = 0, flaky = 0, skipped = 0 } = report.stats;
  let failed = unexpected;
  let note = `${expected} passed, ${unexpected} failed, ${flaky} flaky, ${skipped} skipped`;
  if (!ok(r) && failed === 0) {
    failed = 1;
    note += `; playwright exited ${r.code}${r.timedOut ? ' (timed out)' : ''}`;
  }
  if (expected + unexpected + flaky === 0 && failed === 0) {
    failed = 1;
    note += '; no e2e test ran';
  }
  // A flaky test passed on retry: counted as passed, but named in the summary.
  if (flaky) notes.push(`${flaky} Playwright test(s) passed only on retry`);
  record('playwright', expected + flaky, failed, note);
});

// ---------------------------------------------------------------------------
const started = Date.now();
rmSync('.test-summary', { force: true });
for (const s of steps) {
  if (only && !only.has(s.id)) continue;
  header(s.title);
  const t0 = Date.now();
  try {
    await s.fn();
  } catch (err) {
    console.log(err?.stack ?? String(err));
    record(s.id, 0, 1, `the step itself crashed: ${err?.message ?? err}`);
  }
  console.log(`   (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

header(`summary (${((Date.now() - started) / 1000).toFixed(0)} s)`);
const width = Math.max(...results.map((r) => r.name.length));
for (const r of results) {
  const counts = r.name === 'vitest' || r.name === 'playwright' ? `${r.passed}/${r.passed + r.failed}` : '';
  console.log(`${r.failed ? 'FAIL' : 'ok  '}  ${r.name.padEnd(width)}  ${counts}${r.note ? `  ${r.note}` : ''}`);
}
for (const n of notes) console.log(`note: ${n}`);
const closing = `${totalPassed} passed, ${totalFailed} failed`;
// .ci/run repeats this after pnpm's own "[ELIFECYCLE] Test failed" line, so the
// count stays the closing line of the log.
writeFileSync('.test-summary', `${closing}\n`);
console.log(closing);
process.exitCode = totalFailed > 0 || totalPassed === 0 ? 1 : 0;
