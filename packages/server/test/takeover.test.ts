import { expect, test } from 'vitest';
import { nextSession } from './helpers/sessions.js';
import { session, startServer } from './helpers/server.js';

test('a new socket resuming a live session takes over: the old one is closed with 4409', async () => {
  const server = await startServer();
  const got = nextSession(server);
  const first = await session(server.url);
  const s = await got;
  let sessions = 0;
  server.on('session', () => sessions++);
  s.send('m1');
  await first.waitDelivered(1);

  const second = await session(server.url, { resume: first.resumeInfo() });
  expect(second.welcome!.resumed).toBe(true);
  const closed = await first.closed;
  expect(closed.code).toBe(4409);
  expect(sessions).toBe(0);
  expect(server.sessions.size).toBe(1);
  // Only the new socket carries the session now.
  s.send('m2');
  await second.waitDelivered(1);
  expect(second.delivered).toEqual([{ seq: 2, data: 'm2' }]);
  expect(first.delivered.map((d) => d.seq)).toEqual([1]);
  expect(s.connected).toBe(true);
});

test('frames from the replaced socket are ignored', async () => {
  const server = await startServer();
  const handled: string[] = [];
  server.on('session', (s) => s.on('message', (data) => void handled.push(data as string)));
  const first = await session(server.url);
  const second = await session(server.url, { resume: first.resumeInfo() });
  if (first.ws.readyState === first.ws.OPEN) first.send('late from the old socket');
  second.send('from the new socket');
  await second.waitServerAck(1);
  expect(handled).toEqual(['from the new socket']);
});
