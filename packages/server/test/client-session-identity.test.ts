// session.identity is what authenticate returned for the real client's credential.
import { expect, test, vi } from 'vitest';
import type { Session } from '../src/index.js';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test('the identity from the token provider, and the same one after a resume', async () => {
  const server = await startServer<{ user: string }>({
    authenticate: ({ token }) => (token?.startsWith('user:') ? { user: token.slice(5) } : null),
  });
  const sessions: Session<{ user: string }>[] = [];
  server.on('session', (s) => sessions.push(s));
  const { client, log } = nodeClient(server.url, { token: async () => 'user:alice' });
  await vi.waitFor(() => expect(sessions).toHaveLength(1));
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1)); // the welcome reached the client
  expect(sessions[0].identity).toEqual({ user: 'alice' });
  expect(sessions[0].id).toBe(client.sessionIdentifier);

  client.reconnect();
  await vi.waitFor(() => expect(log.sessions).toHaveLength(2));
  expect(log.sessions[1].resumed).toBe(true);
  expect(sessions).toHaveLength(1);
  expect(sessions[0].identity).toEqual({ user: 'alice' });
});
