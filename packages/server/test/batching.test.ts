import { FrameKind } from '@continuum/protocol';
import { expect, test } from 'vitest';
import type { Session } from '../src/index.js';
import { session, startServer } from './helpers/server.js';

async function oneSession(options = {}) {
  const server = await startServer(options);
  const got = new Promise<Session>((resolve) => server.on('session', resolve));
  const client = await session(server.url);
  return { server, client, session: await got };
}

test('1000 sends in one turn go out as one DATA frame, in order', async () => {
  const { client, session: s } = await oneSession();
  for (let i = 1; i <= 1000; i++) s.send(`m${i}`);
  const delivered = await client.waitDelivered(1000);
  expect(delivered.map((d) => d.data)).toEqual(Array.from({ length: 1000 }, (_, i) => `m${i + 1}`));
  expect(client.frames(FrameKind.DATA)).toHaveLength(1);
  expect(client.skips + client.duplicates).toBe(0);
});

test('a batch is cut at 4096 messages per frame', async () => {
  const { client, session: s } = await oneSession();
  for (let i = 1; i <= 10_000; i++) s.send('x');
  await client.waitDelivered(10_000);
  expect(client.frames(FrameKind.DATA).map((f) => f.entries.length)).toEqual([4096, 4096, 1808]);
});

test('a batch is cut at the 64 KiB batch target; a larger message goes alone', async () => {
  const { client, session: s } = await oneSession();
  const medium = 'y'.repeat(30_000);
  for (let i = 0; i < 5; i++) s.send(medium);
  await client.waitDelivered(5);
  expect(client.frames(FrameKind.DATA).map((f) => f.entries.length)).toEqual([2, 2, 1]);
  const big = 'z'.repeat(400_000);
  for (let i = 0; i < 3; i++) s.send(big);
  await client.waitDelivered(8);
  expect(client.frames(FrameKind.DATA).map((f) => f.entries.length)).toEqual([2, 2, 1, 1, 1, 1]);
  expect(client.delivered.map((d) => d.data)).toEqual([...Array(5).fill(medium), ...Array(3).fill(big)]);
});

test('sends in different turns are different frames (flushed at the end of each turn, no timer)', async () => {
  const { client, session: s } = await oneSession();
  s.send('a');
  s.send('b');
  await client.waitDelivered(2);
  s.send('c');
  await client.waitDelivered(3);
  expect(client.frames(FrameKind.DATA).map((f) => f.entries.length)).toEqual([2, 1]);
});

test('volatile messages go out as one VOLATILE frame per turn, only while connected', async () => {
  const { client, session: s } = await oneSession();
  expect(s.send('v1', { volatile: true })).toBe(true);
  expect(s.send('v2', { volatile: true })).toBe(true);
  s.send('sequenced');
  await client.until(() => client.frames(FrameKind.VOLATILE).length === 1, 'volatile frame');
  expect(client.frames(FrameKind.VOLATILE)[0].entries.map((e) => e.data)).toEqual(['v1', 'v2']);
  await client.waitDelivered(1);
  expect(client.delivered[0]).toEqual({ seq: 1, data: 'sequenced' });
  const closed = new Promise((resolve) => s.on('close', resolve));
  await client.drop();
  await closed;
  expect(s.connected).toBe(false);
  expect(s.send('nobody listens', { volatile: true })).toBe(false);
});
