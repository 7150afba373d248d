import { expect, test } from 'vitest';
import { nextSession, sessionEvent } from './helpers/sessions.js';
import { session, startServer } from './helpers/server.js';

test('a session whose ttl ran out is lost: resumed false, with the exact gap from its tombstone', async () => {
  const server = await startServer({ session: { ttlMs: 50 } });
  const got = nextSession(server);
  const first = await session(server.url);
  const s = await got;
  s.on('message', () => {});
  first.send('a', 'b');
  await first.waitServerAck(2);
  for (let i = 1; i <= 5; i++) s.send(`m${i}`);
  await first.waitDelivered(5);
  const resume = { ...first.resumeInfo(), recv: 3 }; // 4 and 5 were lost on the way
  const ended = sessionEvent(s, 'end');
  await first.drop();
  expect(await ended).toEqual({ reason: 'expired' });
  expect(s.state).toBe('ended');
  expect(server.sessions.size).toBe(0);
  expect(s.send('too late')).toBe(false);

  const second = await session(server.url, { resume });
  expect(second.welcome).toMatchObject({
    resumed: false,
    gap: { from: 4, to: 5 },
    previous: { id: resume.id, ack: 2 },
    recv: 0,
    ack: 0,
  });
  expect(second.welcome!.id).not.toBe(resume.id);
});

test('no gap when the client had everything; previous still settles its sends', async () => {
  const server = await startServer({ session: { ttlMs: 20 } });
  const got = nextSession(server);
  const first = await session(server.url);
  const s = await got;
  s.send('only');
  await first.waitDelivered(1);
  const ended = sessionEvent(s, 'end');
  await first.drop();
  await ended;
  const second = await session(server.url, { resume: first.resumeInfo() });
  expect(second.welcome!.resumed).toBe(false);
  expect(second.welcome!.gap).toBeUndefined();
  expect(second.welcome!.previous).toEqual({ id: first.welcome!.id, ack: 0 });
});

test('a session closed by the app is not resumable either', async () => {
  const server = await startServer();
  const got = nextSession(server);
  const first = await session(server.url);
  const s = await got;
  s.send('x');
  await first.waitDelivered(1);
  const ended = sessionEvent(s, 'end');
  s.close(4000, 'bye');
  expect(await first.closed).toEqual({ code: 4000, reason: 'bye' });
  expect(await ended).toEqual({ reason: 'closed' });
  const second = await session(server.url, { resume: { ...first.resumeInfo(), recv: 0 } });
  expect(second.welcome).toMatchObject({ resumed: false, gap: { from: 1, to: 1 } });
});
