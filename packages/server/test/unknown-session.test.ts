import { expect, test } from 'vitest';
import { session, startServer } from './helpers/server.js';

test('a resume of a session the server knows nothing of: resumed false, gap to null', async () => {
  const server = await startServer();
  const client = await session(server.url, {
    resume: { id: 'session-from-before-a-restart', token: 'whatever', recv: 17 },
  });
  expect(client.welcome).toMatchObject({ resumed: false, gap: { from: 18, to: null }, recv: 0, ack: 0 });
  expect(client.welcome!.previous).toBeUndefined();
});

test('a server restarted with a fresh memory store knows nothing', async () => {
  const before = await startServer();
  const first = await session(before.url);
  await before.close();
  await first.closed;
  const after = await startServer();
  const second = await session(after.url, { resume: first.resumeInfo() });
  expect(second.welcome).toMatchObject({ resumed: false, gap: { from: 1, to: null } });
});
