// A fresh credential that authenticate refuses closes the socket at once: 4401 (the
// client reconnects with another one and resumes) or 4403 for another identity (stop).
import { expect, test, vi } from 'vitest';
import { withExpiry } from '../src/index.js';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test('a refresh that changes the identity closes 4403: the client stops with AUTH_FORBIDDEN', async () => {
  const server = await startServer({
    authenticate: ({ token }) => withExpiry({ user: token?.split(':')[0] }, Date.now() + 400),
  });
  let calls = 0;
  const { client, log } = nodeClient(server.url, { token: () => (++calls === 1 ? 'alice:1' : 'mallory:1') });
  await vi.waitFor(() => expect(log.closes).toHaveLength(1), { timeout: 5000 });
  expect(log.closes[0]).toMatchObject({ code: 4403, willReconnect: false });
  expect(log.errors.map((e) => e.code)).toEqual(['AUTH_FORBIDDEN']);
  expect(client.state).toBe('closed');
});

test('a refresh that authenticate refuses closes 4401 at once; the client reconnects with a fresh token', async () => {
  const server = await startServer({
    authenticate: ({ token, refresh }) => (refresh && token === 'alice-2' ? null : withExpiry({ user: 'alice' }, Date.now() + 400)),
  });
  let calls = 0;
  const { log } = nodeClient(server.url, { token: () => `alice-${++calls}` });
  await vi.waitFor(() => expect(log.sessions).toHaveLength(2), { timeout: 5000 });
  expect(log.closes[0]).toMatchObject({ code: 4401, reason: 'credentials refused', willReconnect: true });
  expect(log.sessions[1].resumed).toBe(true);
});
