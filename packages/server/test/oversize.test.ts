import { expect, test } from 'vitest';
import { session, startServer } from './helpers/server.js';

test('a message over maxMessageBytes closes the socket with 1009', async () => {
  const server = await startServer({ maxMessageBytes: 100 });
  const handled: string[] = [];
  server.on('session', (s) => s.on('message', (data) => void handled.push(data as string)));
  const client = await session(server.url);
  client.send('ok', 'x'.repeat(101));
  const { code } = await client.closed;
  expect(code).toBe(1009);
  expect(handled).toEqual(['ok']);
});

test('a message of exactly maxMessageBytes (in UTF-8 bytes) is accepted', async () => {
  const server = await startServer({ maxMessageBytes: 100 });
  server.on('session', (s) => s.on('message', () => {}));
  const client = await session(server.url);
  client.send('é'.repeat(50), new Uint8Array(100));
  await client.waitServerAck(2);
  client.send('é'.repeat(51));
  expect((await client.closed).code).toBe(1009);
});

test('a frame over maxFrameBytes closes the socket with 1009 (ws maxPayload)', async () => {
  const server = await startServer({ maxMessageBytes: 100, maxFrameBytes: 1000 });
  const client = await session(server.url);
  client.send(...Array.from({ length: 20 }, () => 'y'.repeat(90)));
  expect((await client.closed).code).toBe(1009);
});

test('a batch larger than one message but within maxFrameBytes is fine', async () => {
  const server = await startServer({ maxMessageBytes: 100, maxFrameBytes: 5000 });
  server.on('session', (s) => s.on('message', () => {}));
  const client = await session(server.url);
  client.send(...Array.from({ length: 20 }, () => 'y'.repeat(90)));
  await client.waitServerAck(20);
});
