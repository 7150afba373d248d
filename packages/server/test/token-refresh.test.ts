// A credential that expires is refreshed in-band: the socket and the session stay up.
import { expect, test, vi } from 'vitest';
import { withExpiry, type AuthenticateContext, type Session } from '../src/index.js';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test('refresh before expiry: the client answers with a fresh token, no close, same session, expiry moves', async () => {
  const LIFETIME_MS = 1000;
  const calls: { token: string | undefined; refresh: boolean }[] = [];
  const server = await startServer({
    // Half the lifetime (500 ms) is later than 30 s before expiry: asked after ~500 ms.
    authenticate: ({ token, refresh }: AuthenticateContext) => {
      calls.push({ token, refresh });
      return withExpiry({ user: 'alice' }, Date.now() + LIFETIME_MS);
    },
  });
  const sessions: Session<unknown>[] = [];
  const serverCloses: unknown[] = [];
  server.on('session', (s) => {
    sessions.push(s);
    s.on('close', (e) => serverCloses.push(e));
    s.on('message', (data) => void s.send(`echo ${String(data)}`));
  });
  let n = 0;
  const started = Date.now();
  const { client, log } = nodeClient(server.url, { token: () => `alice-${++n}` });

  // Several lifetimes pass: without refreshes the socket would have been closed 4401.
  await vi.waitFor(() => expect(calls.filter((c) => c.refresh).length).toBeGreaterThanOrEqual(3), { timeout: 8000 });
  // The precondition: the first credential's lifetime is long over.
  expect(Date.now() - started).toBeGreaterThan(LIFETIME_MS);
  await client.send('still here');
  await vi.waitFor(() => expect(log.messages.map((m) => m.data)).toEqual(['echo still here']));

  expect(calls[0]).toEqual({ token: 'alice-1', refresh: false });
  // Each refresh carried a token fresh from the provider.
  const refreshed = calls.filter((c) => c.refresh).map((c) => c.token);
  expect(new Set(refreshed).size).toBe(refreshed.length);
  expect(refreshed).not.toContain('alice-1');
  expect(log.closes).toEqual([]);
  expect(log.errors).toEqual([]);
  expect(log.sessions).toHaveLength(1);
  expect(sessions).toHaveLength(1);
  expect(client.sessionIdentifier).toBe(sessions[0].id);
  expect(serverCloses).toEqual([]);
  expect(client.state).toBe('open');
});
