import { expect, test } from 'vitest';
import { AuthError } from '../src/index.js';
import { nextSession } from './helpers/sessions.js';
import { session, startServer } from './helpers/server.js';

test('a resume with the wrong token gets a new session, never the old one', async () => {
  const server = await startServer();
  const got = nextSession(server);
  const owner = await session(server.url);
  const s = await got;
  s.send('secret');
  await owner.waitDelivered(1);

  const intruder = await session(server.url, {
    resume: { id: owner.welcome!.id, token: 'A'.repeat(32), recv: 0 },
  });
  const welcome = intruder.welcome!;
  expect(welcome.resumed).toBe(false);
  expect(welcome.id).not.toBe(owner.welcome!.id);
  // Treated as unknown: nothing about the real session is revealed.
  expect(welcome.gap).toEqual({ from: 1, to: null });
  expect(welcome.previous).toBeUndefined();
  expect(intruder.delivered).toEqual([]);
  // The owner's socket and session are untouched.
  expect(s.connected).toBe(true);
  expect(owner.closeEvent).toBeUndefined();
  expect(server.metrics()).toMatch(/continuum_resumes_total\{result="failed"\} 1/);
});

test('a resume by another identity gets a new session even with the right token', async () => {
  const server = await startServer({
    authenticate: ({ token }) => {
      if (!token) throw new AuthError('missing');
      return { user: token };
    },
  });
  const alice = await session(server.url, { auth: 'alice' });
  await alice.drop();
  const mallory = await session(server.url, { auth: 'mallory', resume: alice.resumeInfo() });
  expect(mallory.welcome!.resumed).toBe(false);
  expect(mallory.welcome!.id).not.toBe(alice.welcome!.id);
  // And alice still can.
  const back = await session(server.url, { auth: 'alice', resume: alice.resumeInfo() });
  expect(back.welcome!).toMatchObject({ resumed: true, id: alice.welcome!.id });
});
