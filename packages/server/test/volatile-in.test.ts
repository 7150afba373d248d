import { expect, test } from 'vitest';
import type { MessageMeta } from '../src/index.js';
import { session, startServer } from './helpers/server.js';

test('volatile client messages reach the handler outside the sequence and are never acked', async () => {
  const server = await startServer();
  const seen: [unknown, MessageMeta][] = [];
  const errors: Error[] = [];
  server.on('error', (e) => errors.push(e));
  server.on('session', (s) =>
    s.on('message', async (data, meta) => {
      seen.push([data, meta]);
      if (data === 'bad') throw new Error('volatile handler failed');
    }),
  );
  const client = await session(server.url);
  client.sendVolatile('cursor 1', 'bad');
  client.send('sequenced');
  await client.waitServerAck(1);
  expect(seen).toEqual([
    ['cursor 1', { seq: 0, volatile: true }],
    ['bad', { seq: 0, volatile: true }],
    ['sequenced', { seq: 1 }],
  ]);
  // No nack for a volatile message; the failure is reported, never an unhandled rejection.
  expect(client.nacks).toEqual([]);
  expect(errors.map((e) => e.message)).toEqual(['volatile handler failed']);
});
