// The other side of worker.mjs: a Continuum server that publishes a job on the `jobs`
// channel every second and records the results workers acknowledge.
//
//   node examples/node-worker/dispatcher.mjs          listens on ws://127.0.0.1:8090/
import { createServer } from '@continuum/server';

/** Starts the dispatcher; `everyMs` 0 publishes nothing by itself (call `next()`). */
export async function startDispatcher({ port = 8090, everyMs = 1000 } = {}) {
  const server = await createServer({ host: '127.0.0.1', port });
  const done = new Map(); // job id -> { by, result }
  let id = 0;

  server.on('session', (session) => {
    // A worker's send() resolves once this handler returned: that is its acknowledgement.
    session.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type !== 'done') throw new Error(`unexpected message ${message.type}`);
      if (!done.has(message.id)) done.set(message.id, { by: message.worker, result: message.result });
    });
  });

  const next = () => server.publish('jobs', JSON.stringify({ id: ++id, task: 'square', input: id }));
  const timer = everyMs > 0 ? setInterval(() => void next(), everyMs) : undefined;
  return {
    url: server.url,
    done,
    next,
    async close() {
      clearInterval(timer);
      await server.close({ timeoutMs: 200 });
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dispatcher = await startDispatcher({ port: Number(process.env.PORT ?? 8090) });
  console.log(`dispatcher: publishing a job a second on ${dispatcher.url} (channel "jobs")`);
  let reported = 0;
  setInterval(() => {
    for (const [id, { by, result }] of [...dispatcher.done].slice(reported)) console.log(`dispatcher: job ${id} done by ${by}: ${result}`);
    reported = dispatcher.done.size;
  }, 1000);
  process.once('SIGINT', () => void dispatcher.close().then(() => process.exit(0)));
}
