// Handlers run one message at a time per session, in the client's order, and a send()
// resolves only once its handler's promise resolved (acknowledged after the work).
import { expect, test } from 'vitest';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test('slow and fast handlers: never two at once, in order; each send resolves after its handler finished', async () => {
  const server = await startServer();
  let running = 0;
  let maxRunning = 0;
  const finished: string[] = [];
  server.on('session', (s) =>
    s.on('message', async (data) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      // Earlier messages take longer: a concurrent runner would finish them out of order.
      await new Promise((r) => setTimeout(r, 30 - Number(data) * 5));
      finished.push(data as string);
      running--;
    }),
  );
  const { client } = nodeClient(server.url);
  const resolvedWhenFinished: string[][] = [];
  const sent = ['0', '1', '2', '3', '4', '5'];
  await Promise.all(sent.map((m) => client.send(m).then(() => resolvedWhenFinished.push([m, ...finished]))));
  expect(finished).toEqual(sent);
  expect(maxRunning).toBe(1);
  // When send(m) resolved, m's handler had finished.
  for (const [m, ...done] of resolvedWhenFinished) expect(done).toContain(m);
});
