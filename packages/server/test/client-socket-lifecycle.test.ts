// 'close' on the server session when the socket goes (the session waits for a resume),
// 'end' when it expires; server.sessions counts and iterates what is held.
import { expect, test, vi } from 'vitest';
import type { Session } from '../src/index.js';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test('socket dropped: close, not end; resumed: the same session; client gone for good: end "expired" after ttl', async () => {
  const server = await startServer({ session: { ttlMs: 300 } });
  const events: [string, unknown][] = [];
  let session!: Session;
  server.on('session', (s) => {
    session = s;
    s.on('close', (e) => events.push(['close', e.code]));
    s.on('end', (e) => events.push(['end', e.reason]));
  });
  const { client, log } = nodeClient(server.url);
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));

  client.reconnect(); // the client drops its socket (no close frame: 1006) and resumes at once
  await vi.waitFor(() => expect(log.sessions).toHaveLength(2));
  expect(log.sessions[1]).toMatchObject({ id: session.id, resumed: true });
  expect(events).toEqual([['close', 1006]]);
  expect(session.state).toBe('connected');

  await client.close();
  await vi.waitFor(() => expect(session.state).toBe('disconnected'));
  expect(server.sessions.size).toBe(1);
  await vi.waitFor(() => expect(events.at(-1)).toEqual(['end', 'expired']));
  expect(events).toEqual([
    ['close', 1006],
    ['close', 1000],
    ['end', 'expired'],
  ]);
  expect(server.sessions.size).toBe(0);
});

test('server.sessions: size, get(id) and iteration over the sessions held', async () => {
  const server = await startServer();
  const a = nodeClient(server.url);
  const b = nodeClient(server.url);
  await vi.waitFor(() => expect(server.sessions.size).toBe(2));
  await vi.waitFor(() => expect([a.log.sessions.length, b.log.sessions.length]).toEqual([1, 1]));
  const ids = [a.client.sessionIdentifier, b.client.sessionIdentifier];
  expect([...server.sessions].map((s) => s.id).sort()).toEqual([...ids].sort());
  expect(server.sessions.get(ids[0]!)?.connected).toBe(true);
  expect(server.sessions.get('nope')).toBeUndefined();
  server.sessions.get(ids[0]!)!.close();
  expect(server.sessions.size).toBe(1);
  expect([...server.sessions].map((s) => s.id)).toEqual([ids[1]]);
});
