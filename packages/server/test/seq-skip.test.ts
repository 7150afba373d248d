import { expect, test } from 'vitest';
import { session, startServer } from './helpers/server.js';

test('a sequence number that skips ahead closes the socket with 4002', async () => {
  const server = await startServer();
  const handled: string[] = [];
  server.on('session', (s) => s.on('message', (data) => void handled.push(data as string)));
  const client = await session(server.url);
  client.sendAt(1, 'one');
  client.sendAt(3, 'three');
  const { code, reason } = await client.closed;
  expect(code).toBe(4002);
  expect(reason).toMatch(/expected 2, got 3/);
  expect(handled).toEqual(['one']);
});

test('duplicates (seq at or below what was received) are dropped silently', async () => {
  const server = await startServer();
  const handled: string[] = [];
  server.on('session', (s) => s.on('message', (data) => void handled.push(data as string)));
  const client = await session(server.url);
  client.sendAt(1, 'one', 'two');
  client.sendAt(1, 'one', 'two', 'three');
  client.sendAt(2, 'two');
  await client.waitServerAck(3);
  expect(handled).toEqual(['one', 'two', 'three']);
  expect(client.closeEvent).toBeUndefined();
});

test('an ack of a message the server never sent is a protocol error', async () => {
  const server = await startServer();
  const client = await session(server.url);
  client.ack(5);
  expect((await client.closed).code).toBe(4002);
});
