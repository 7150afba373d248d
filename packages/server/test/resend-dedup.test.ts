import { expect, test } from 'vitest';
import { nextSession, sessionEvent } from './helpers/sessions.js';
import { session, startServer } from './helpers/server.js';

test('RESEND of a message the lost session already handled is dropped but acked; the rest are handled', async () => {
  const server = await startServer({ session: { ttlMs: 10 } });
  const handled: string[] = [];
  server.on('session', (s) => s.on('message', (data) => void handled.push(data as string)));
  const got = nextSession(server);
  const first = await session(server.url);
  const old = await got;
  first.send('a', 'b', 'c');
  await first.waitServerAck(3);
  // The client also sent 'd' (seq 4), but the link died before it arrived.
  const ended = sessionEvent(old, 'end');
  await first.drop();
  await ended;

  const second = await session(server.url, { resume: first.resumeInfo() });
  const welcome = second.welcome!;
  expect(welcome.resumed).toBe(false);
  expect(welcome.previous).toEqual({ id: old.id, ack: 3 });
  // A client that did not see the ack of 'c' re-sends it with its idempotency key, then 'd'.
  second.resend(old.id, 3, 'c');
  second.resend(old.id, 4, 'd');
  await second.waitServerAck(2);
  expect(handled).toEqual(['a', 'b', 'c', 'd']);
  expect(second.nacks).toEqual([]);
});

test('RESEND keys are checked against the identity: another identity’s key is not deduplicated', async () => {
  const server = await startServer({ authenticate: ({ token }) => ({ user: token }), session: { ttlMs: 10 } });
  const handled: string[] = [];
  server.on('session', (s) => s.on('message', (data) => void handled.push(data as string)));
  const got = nextSession(server);
  const alice = await session(server.url, { auth: 'alice' });
  const old = await got;
  alice.send('a');
  await alice.waitServerAck(1);
  const ended = sessionEvent(old, 'end');
  await alice.drop();
  await ended;
  const bob = await session(server.url, { auth: 'bob' });
  bob.resend(old.id, 1, 'from bob');
  await bob.waitServerAck(1);
  expect(handled).toEqual(['a', 'from bob']);
});

test('RESEND keys of a session still alive are checked against what it handled', async () => {
  const server = await startServer();
  const handled: string[] = [];
  server.on('session', (s) => s.on('message', (data) => void handled.push(data as string)));
  const first = await session(server.url);
  first.send('a', 'b');
  await first.waitServerAck(2);
  const other = await session(server.url);
  other.resend(first.welcome!.id, 2, 'b again');
  other.resend(first.welcome!.id, 3, 'c');
  await other.waitServerAck(2);
  expect(handled).toEqual(['a', 'b', 'c']);
});
