import { expect, test } from 'vitest';
import { nextSession, sessionEvent } from './helpers/sessions.js';
import { session, startServer } from './helpers/server.js';

test('when the replay buffer no longer reaches back, the resume fails with the exact gap', async () => {
  const server = await startServer({ session: { replayMaxMessages: 5 } });
  const got = nextSession(server);
  const first = await session(server.url);
  const s = await got;
  for (let i = 1; i <= 3; i++) s.send(`m${i}`);
  await first.waitDelivered(3);
  const closed = sessionEvent(s, 'close');
  await first.drop();
  await closed;
  for (let i = 4; i <= 13; i++) s.send(`m${i}`); // only m9–m13 stay buffered
  expect(s.record.replay).toHaveLength(5);
  const ended = sessionEvent(s, 'end');
  const second = await session(server.url, { resume: first.resumeInfo() });
  expect(await ended).toEqual({ reason: 'lost' });
  expect(second.welcome).toMatchObject({
    resumed: false,
    gap: { from: 4, to: 13 },
    previous: { id: first.welcome!.id, ack: 0 },
  });
  expect(second.welcome!.id).not.toBe(first.welcome!.id);
  expect(second.delivered).toEqual([]);
});

test('the byte bound drops the oldest messages too', async () => {
  const server = await startServer({ session: { replayMaxBytes: 100 } });
  const got = nextSession(server);
  const client = await session(server.url);
  const s = await got;
  const closed = sessionEvent(s, 'close');
  await client.drop();
  await closed;
  for (let i = 0; i < 10; i++) s.send('x'.repeat(30));
  expect(s.record.replay).toHaveLength(3);
  expect(s.record.replayBytes).toBe(90);
});
