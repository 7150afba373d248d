// A refresh that fails: the credential expires anyway, the server closes 4401 at expiry,
// and the client reconnects with a fresh credential and resumes the same session.
import { expect, test, vi } from 'vitest';
import { withExpiry, type Session } from '../src/index.js';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';
import { sessionEvent } from './helpers/sessions.js';

test('the token provider throws on refresh: AUTH_EXPIRED error event, close 4401 at expiry, resume with a new token', async () => {
  const LIFETIME_MS = 800;
  const grants: { token: string | undefined; refresh: boolean; at: number; expiresAt: number }[] = [];
  const server = await startServer({
    authenticate: ({ token, refresh }) => {
      const at = Date.now();
      grants.push({ token, refresh, at, expiresAt: at + LIFETIME_MS });
      return withExpiry({ user: 'alice' }, at + LIFETIME_MS);
    },
  });
  const sessions: Session<unknown>[] = [];
  server.on('session', (s) => {
    sessions.push(s);
    s.on('message', (data) => void s.send(`echo ${String(data)}`));
  });
  let calls = 0;
  const { client, log } = nodeClient(server.url, {
    token: () => {
      calls++;
      if (calls === 2) throw new Error('token service down');
      return `alice-${calls}`;
    },
  });
  await vi.waitFor(() => expect(sessions).toHaveLength(1));
  const serverClose = sessionEvent(sessions[0], 'close');

  // The refresh (second provider call) fails: an error event, and the socket stays up until expiry.
  await vi.waitFor(() => expect(log.errors.map((e) => e.code)).toEqual(['AUTH_EXPIRED']));
  expect(log.closes).toEqual([]);
  expect(client.state).toBe('open');

  // At expiry the server closes with 4401; the client reconnects and resumes.
  await vi.waitFor(() => expect(log.sessions).toHaveLength(2), { timeout: 5000 });
  expect(await serverClose).toEqual({ code: 4401, reason: 'credentials expired' });
  expect(log.closes[0]).toMatchObject({ code: 4401, reason: 'credentials expired', willReconnect: true });
  const closedAt = grants[0].expiresAt;
  expect(Date.now()).toBeGreaterThanOrEqual(closedAt);
  expect(log.sessions[1]).toMatchObject({ id: sessions[0].id, resumed: true });
  expect(sessions).toHaveLength(1);
  // The hello of the new socket carried the new credential.
  expect(grants.map((g) => [g.token, g.refresh])).toEqual([
    ['alice-1', false],
    ['alice-3', false],
  ]);
  // And the session works.
  await client.send('after');
  await vi.waitFor(() => expect(log.messages.map((m) => m.data)).toEqual(['echo after']));
});
