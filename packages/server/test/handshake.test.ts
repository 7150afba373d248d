import { PROTOCOL_VERSION, SUBPROTOCOL } from '@continuum/protocol';
import { expect, test } from 'vitest';
import { connect, session, startServer } from './helpers/server.js';

test('the welcome carries the session, its resume token and every limit the client needs', async () => {
  const server = await startServer({
    pingMs: 15_000,
    maxMessageBytes: 1000,
    session: { ttlMs: 5000, replayMaxMessages: 50, replayMaxBytes: 9000 },
  });
  const sessions: string[] = [];
  server.on('session', (s) => sessions.push(s.id));
  const client = await session(server.url);
  expect(client.ws.protocol).toBe(SUBPROTOCOL);
  const welcome = client.welcome!;
  expect(welcome).toEqual({
    t: 'welcome',
    v: PROTOCOL_VERSION,
    id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), // 128 bits
    token: expect.stringMatching(/^[A-Za-z0-9_-]{32}$/), // 192 bits
    resumed: false,
    recv: 0,
    ack: 0,
    pingMs: 15_000,
    maxMessageBytes: 1000,
    maxFrameBytes: 1000 + 65_536,
    sessionTtlMs: 5000,
    replayMaxMessages: 50,
    replayMaxBytes: 9000,
  });
  expect(sessions).toEqual([welcome.id]);
  expect(server.sessions.size).toBe(1);
  expect([...server.sessions][0].id).toBe(welcome.id);
  expect(server.sessions.get(welcome.id)?.connected).toBe(true);
  expect(server.url).toBe(`ws://127.0.0.1:${server.port}/`);
});

test('each socket that says hello without resume gets its own session', async () => {
  const server = await startServer();
  const a = await session(server.url);
  const b = await session(server.url);
  expect(a.welcome!.id).not.toBe(b.welcome!.id);
  expect(a.welcome!.token).not.toBe(b.welcome!.token);
  expect(server.sessions.size).toBe(2);
});

test('an unsupported protocol version is refused with 4400', async () => {
  const server = await startServer();
  const client = await connect(server.url);
  client.sendControl({ t: 'hello', v: 99 });
  const { code, reason } = await client.closed;
  expect(code).toBe(4400);
  expect(reason).toMatch(/version 99/);
});

test('a data frame before the welcome is a protocol error', async () => {
  const server = await startServer();
  const client = await connect(server.url);
  client.send('too early');
  expect((await client.closed).code).toBe(4002);
});
