// A minimal Node service client: subscribes to the `jobs` channel, does each job in
// order, acknowledges it to the server, and remembers how far it got, so that a
// restarted worker continues where it stopped: nothing skipped, nothing done twice.
//
//   node examples/node-worker/worker.mjs                      also starts a dispatcher in-process
//   JOBS_URL=ws://127.0.0.1:8090/ node examples/node-worker/worker.mjs   against dispatcher.mjs
//
// Stop it with Ctrl-C and start it again: it resumes from its saved offset
// (.worker-position.json). With CONTINUUM_EXAMPLE_SMOKE=1 it exits after 5 jobs.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Client } from '@continuum/node';

const smoke = process.env.CONTINUUM_EXAMPLE_SMOKE === '1';
const positionFile = new URL('./.worker-position.json', import.meta.url);
if (smoke) rmSync(positionFile, { force: true });
const worker = `${hostname()}:${process.pid}`;

let dispatcher;
let url = process.env.JOBS_URL;
if (!url) {
  const { startDispatcher } = await import('./dispatcher.mjs');
  dispatcher = await startDispatcher({ port: 0, everyMs: smoke ? 100 : 1000 });
  url = dispatcher.url;
}

const client = new Client(url, {
  codec: 'json',
  // A service wants to notice a dead link within seconds, not at the server's pace.
  heartbeat: { intervalMs: 5000, timeoutMs: 5000 },
});
client.on('error', (err) => console.error(`worker: ${err.code}: ${err.message}`));
client.on('session', ({ resumed, gap }) => {
  console.log(`worker: session ${resumed ? 'resumed' : 'started'}${gap ? ` (lost server messages ${gap.from}..${gap.to ?? '?'})` : ''}`);
});

// Where the last run stopped: publications after it are replayed, if history reaches back.
const since = existsSync(positionFile) ? JSON.parse(readFileSync(positionFile, 'utf8')) : undefined;
const jobs = client.subscribe('jobs', since ? { since } : {});
jobs.on('subscribed', ({ recovered, offset }) => {
  console.log(`worker: subscribed to jobs at offset ${offset}${since && !recovered ? ' (history did not reach back)' : ''}`);
});
jobs.on('gap', ({ from, to }) => {
  // The server's history no longer holds these jobs: a real service would ask the
  // system of record which jobs are still open.
  console.warn(`worker: jobs ${from}..${to ?? 'unknown'} are gone from history; reconcile with the source of truth`);
});

// One job at a time, in offset order.
let queue = Promise.resolve();
let count = 0;
const finished = new Promise((resolve) => {
  jobs.on('publication', (job, position) => {
    queue = queue.then(async () => {
      const result = job.input * job.input; // the "work"
      // Resolves when the server handled the result (its handler returned): the acknowledgement.
      await client.send({ type: 'done', id: job.id, worker, result });
      // Only then remember the position: a crash before this line redoes the job, never skips it.
      writeFileSync(positionFile, JSON.stringify(position));
      console.log(`worker: job ${job.id} done (offset ${position.offset})`);
      if (++count === 5 && smoke) resolve();
    });
  });
});

async function stop(code) {
  // drain: wait until every result sent was acknowledged.
  await client.close({ drain: true, timeoutMs: 5000 });
  await dispatcher?.close();
  process.exit(code);
}

if (smoke) {
  const timeout = setTimeout(() => {
    console.error(`smoke: only ${count} of 5 jobs done after 10 s`);
    void stop(1);
  }, 10_000);
  await finished;
  clearTimeout(timeout);
  const acknowledged = [...dispatcher.done.keys()];
  // The dispatcher may publish before the worker subscribes (a job published earlier is
  // not this worker's): what counts is five consecutive jobs, each acknowledged once, in order.
  const first = acknowledged.slice(0, 5);
  const ok = first.length === 5 && first.every((id, i) => i === 0 || id === first[i - 1] + 1);
  console.log(ok ? 'smoke: 5 jobs done and acknowledged in order' : `smoke: acknowledged ${acknowledged}`);
  rmSync(positionFile, { force: true });
  await stop(ok ? 0 : 1);
} else {
  process.once('SIGINT', () => void stop(0));
}
