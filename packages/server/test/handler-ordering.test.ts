import { expect, test } from 'vitest';
import { session, startServer } from './helpers/server.js';

test('handlers run one at a time per session, in sequence order, and the ack waits for them', async () => {
  const server = await startServer();
  const order: number[] = [];
  let running = 0;
  let maxRunning = 0;
  server.on('session', (s) =>
    s.on('message', async (_data, { seq }) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      // Later messages finish faster: without a queue they would overtake.
      await new Promise((r) => setTimeout(r, (20 - seq) % 7));
      order.push(seq);
      running--;
    }),
  );
  const client = await session(server.url);
  for (let i = 0; i < 20; i++) client.send(`m${i}`);
  await client.waitServerAck(20);
  expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(maxRunning).toBe(1);
});

test('an ack never covers a message whose handler has not finished', async () => {
  const server = await startServer();
  let release!: () => void;
  server.on('session', (s) =>
    s.on('message', (data) => (data === 'slow' ? new Promise<void>((r) => (release = r)) : undefined)),
  );
  const client = await session(server.url);
  client.send('fast', 'slow', 'after');
  await client.waitServerAck(1);
  client.sendControl({ t: 'ping' });
  await client.until(() => client.controls('pong').length === 1, 'pong');
  await new Promise((r) => setTimeout(r, 40)); // past the ack delay
  expect(client.serverAck).toBe(1);
  release();
  await client.waitServerAck(3);
});

test('sessions do not wait for each other', async () => {
  const server = await startServer();
  server.on('session', (s) =>
    s.on('message', (data) => (data === 'stuck' ? new Promise(() => {}) : undefined)),
  );
  const a = await session(server.url);
  const b = await session(server.url);
  a.send('stuck');
  b.send('free');
  await b.waitServerAck(1);
});
