import { expect, test } from 'vitest';
import { nextSession } from './helpers/sessions.js';
import { session, startServer } from './helpers/server.js';

function bytesSent(metrics: string): number {
  return Number(/^continuum_bytes_sent_total (\d+)$/m.exec(metrics)![1]);
}

test('a client that stops reading makes the session stop writing, and resume when it drains', async () => {
  const server = await startServer({ session: { replayMaxBytes: 256 * 1024 * 1024 } });
  const got = nextSession(server);
  const client = await session(server.url);
  const s = await got;
  const socket = (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  socket.pause();
  const chunk = 'z'.repeat(64 * 1024);
  const total = 1024; // 64 MiB, far more than socket buffers hold
  for (let i = 0; i < total; i++) s.send(chunk);
  await Promise.resolve(); // the end-of-turn flush
  await new Promise((r) => setImmediate(r));
  const written = bytesSent(server.metrics());
  // The precondition: the socket really pushed back, and the session held the rest.
  expect(written).toBeLessThan(total * chunk.length / 2);
  expect(written).toBeGreaterThan(0);
  socket.resume();
  await client.waitDelivered(total);
  expect(client.delivered.at(-1)!.seq).toBe(total);
  expect(client.skips + client.duplicates).toBe(0);
  expect(bytesSent(server.metrics())).toBeGreaterThan(total * chunk.length);
}, 30_000);
