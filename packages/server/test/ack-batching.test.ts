import { FrameKind } from '@continuum/protocol';
import { expect, test } from 'vitest';
import { session, startServer } from './helpers/server.js';

test('client messages are acked in batches, not one ack per message', async () => {
  const server = await startServer();
  const handled: number[] = [];
  server.on('session', (s) => s.on('message', (_data, { seq }) => void handled.push(seq)));
  const client = await session(server.url);
  // 300 messages in 300 separate frames.
  for (let i = 0; i < 300; i++) client.send(`m${i}`);
  await client.waitServerAck(300);
  expect(handled).toHaveLength(300);
  const acks = client.frames(FrameKind.ACK);
  expect(acks.length).toBeGreaterThan(0);
  expect(acks.length).toBeLessThanOrEqual(300 / 64 + 2);
  // Cumulative and increasing.
  const values = acks.map((a) => a.ack);
  expect([...values].sort((a, b) => a - b)).toEqual(values);
});

test('a lone message is acked after the short delay', async () => {
  const server = await startServer();
  server.on('session', (s) => s.on('message', () => {}));
  const client = await session(server.url);
  const start = performance.now();
  client.send('one');
  await client.waitServerAck(1);
  expect(performance.now() - start).toBeGreaterThanOrEqual(20);
  expect(client.frames(FrameKind.ACK)).toHaveLength(1);
});

test('64 unacked messages are acked at once, without waiting for the timer', async () => {
  const server = await startServer();
  server.on('session', (s) => s.on('message', () => {}));
  const client = await session(server.url);
  client.send(...Array.from({ length: 64 }, (_, i) => `m${i}`));
  const start = performance.now();
  await client.waitServerAck(64);
  expect(performance.now() - start).toBeLessThan(20);
  expect(client.frames(FrameKind.ACK).map((a) => a.ack)).toEqual([64]);
});

test('an outgoing DATA frame carries the ack: no separate ACK frame', async () => {
  const server = await startServer();
  server.on('session', (s) => s.on('message', (data) => void s.send(data)));
  const client = await session(server.url);
  client.send('a', 'b', 'c');
  await client.waitDelivered(3);
  expect(client.serverAck).toBe(3);
  // Wait past the ack delay: nothing else should come.
  await new Promise((r) => setTimeout(r, 60));
  expect(client.frames(FrameKind.ACK)).toHaveLength(0);
});
