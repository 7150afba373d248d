// limits.sessionsPerIdentity: one more session is refused with 4429 and a retry hint;
// the client keeps trying and gets in once a session of that identity ended. Resumes
// are never refused.
import { expect, test, vi } from 'vitest';
import { parseRetryHint } from '@continuum/protocol';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

const byToken = ({ token }: { token: string | undefined }) => ({ user: token });

test('the third session of alice is refused 4429 (retrying); bob is not affected; alice gets in when one ends', async () => {
  const server = await startServer({ authenticate: byToken, limits: { sessionsPerIdentity: 2 } });
  const a1 = nodeClient(server.url, { token: 'alice' });
  const a2 = nodeClient(server.url, { token: 'alice' });
  await vi.waitFor(() => expect(server.sessions.size).toBe(2));
  const a3 = nodeClient(server.url, { token: 'alice' });
  await vi.waitFor(() => expect(a3.log.closes.length).toBeGreaterThanOrEqual(2));
  expect(a3.log.closes[0]).toMatchObject({ code: 4429, willReconnect: true });
  expect(a3.log.closes[0].reason).toMatch(/^too many sessions for this identity \(limit 2\); retry=/);
  expect(parseRetryHint(a3.log.closes[0].reason)).toEqual({ minMs: 5000, maxMs: 15000 });
  expect(a3.log.sessions).toEqual([]);

  const bob = nodeClient(server.url, { token: 'bob' });
  await vi.waitFor(() => expect(bob.log.sessions).toHaveLength(1));

  // One of alice's sessions ends (the server app closes it): the refused client gets in.
  const first = server.sessions.get(a1.client.sessionIdentifier!)!;
  first.close(4500, 'bye'); // terminal for that client
  await vi.waitFor(() => expect(a3.log.sessions).toHaveLength(1));
  expect(a2.log.closes).toEqual([]);
  expect([...server.sessions].filter((s) => (s.identity as { user: string }).user === 'alice')).toHaveLength(2);
  expect(server.metrics()).toMatch(/continuum_handshake_failures_total\{reason="too_many_sessions"\} [1-9]/);
});

test('at the limit, a resume of an existing session is still accepted', async () => {
  const server = await startServer({ authenticate: byToken, limits: { sessionsPerIdentity: 1 } });
  const { client, log } = nodeClient(server.url, { token: 'alice' });
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));
  client.reconnect(); // drops the socket; the session waits on the server
  await vi.waitFor(() => expect(log.sessions).toHaveLength(2));
  expect(log.sessions[1]).toMatchObject({ id: log.sessions[0].id, resumed: true });
  expect(server.sessions.size).toBe(1);
});

test('without authenticate every client is null: the limit does not apply', async () => {
  const server = await startServer({ limits: { sessionsPerIdentity: 1 } });
  const a = nodeClient(server.url);
  const b = nodeClient(server.url);
  await vi.waitFor(() => expect([a.log.sessions.length, b.log.sessions.length]).toEqual([1, 1]));
});
