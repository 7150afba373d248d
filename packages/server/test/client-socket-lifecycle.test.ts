// 'close' on the server session when the socket goes (the session waits for a resume),
// 'end' when it expires; server.sessions counts and iterates what is held.
import { expect, test, vi } from 'vitest';
import type { Session } from '../src/index.js';
import { nodeClient } from './helpers/node-client.js';
import { connect as rawConnect, session as rawSession, startServer } from './helpers/server.js';

/** Records every session's 'close' codes and 'end' reasons, in order; `latest()` is the newest session. */
function watchSessions(server: Awaited<ReturnType<typeof startServer>>) {
  const events: [string, unknown][] = [];
  let newest: Session | undefined;
  server.on('session', (s) => {
    newest = s;
    s.on('close', (e) => events.push(['close', e.code]));
    s.on('end', (e) => events.push(['end', e.reason]));
  });
  return { events, latest: () => newest! };
}

test('socket dropped: close, not end; resumed: the same session; client.close(): end "left" at once', async () => {
  const server = await startServer({ session: { ttlMs: 300 } });
  const { events, latest } = watchSessions(server);
  const { client, log } = nodeClient(server.url);
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));

  client.reconnect(); // the client drops its socket (no close frame: 1006) and resumes at once
  await vi.waitFor(() => expect(log.sessions).toHaveLength(2));
  expect(log.sessions[1]).toMatchObject({ id: latest().id, resumed: true });
  expect(events).toEqual([['close', 1006]]);
  expect(latest().state).toBe('connected');

  // The app closed the client for good (bye): the session ends now, not after the TTL.
  await client.close();
  await vi.waitFor(() => expect(events.at(-1)).toEqual(['end', 'left']));
  expect(events).toEqual([
    ['close', 1006],
    ['close', 1000],
    ['end', 'left'],
  ]);
  expect(latest().state).toBe('ended');
  expect(server.sessions.size).toBe(0);
});

test('a client that vanishes without a bye: close, then end "expired" after the ttl', async () => {
  const server = await startServer({ session: { ttlMs: 300 } });
  const { events, latest } = watchSessions(server);
  const client = await rawSession(server.url);
  await client.drop();
  await vi.waitFor(() => expect(latest().state).toBe('disconnected'));
  expect(server.sessions.size).toBe(1);
  await vi.waitFor(() => expect(events.at(-1)).toEqual(['end', 'expired']));
  expect(events).toEqual([
    ['close', 1006],
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

test('after a bye the session ends once the messages received before it are handled', async () => {
  const server = await startServer();
  const handled: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let session!: Session;
  server.on('session', (s) => {
    session = s;
    s.on('message', async (data) => {
      await gate;
      handled.push(String(data));
    });
  });
  const client = await rawSession(server.url);
  client.send('a', 'b');
  client.sendControl({ t: 'bye' });
  // The server answers a ping after everything sent before it on this socket: the bye was read.
  client.sendControl({ t: 'ping' });
  await client.until(() => client.log.some((m) => m.kind === 'control' && m.message.t === 'pong'), 'pong');
  const ended = new Promise((resolve) => session.once('end', resolve));
  // The handler of 'a' is still waiting: the session must not end under it.
  expect(session.state).not.toBe('ended');
  release();
  expect(await ended).toEqual({ reason: 'left' });
  expect(handled).toEqual(['a', 'b']);
});

test('a bye before the welcome is a protocol error (4002)', async () => {
  const server = await startServer();
  const client = await rawConnect(server.url);
  client.sendControl({ t: 'bye' });
  expect(await client.closed).toMatchObject({ code: 4002 });
});
