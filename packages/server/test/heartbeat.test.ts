import { expect, test } from 'vitest';
import { nextSession, sessionEvent } from './helpers/sessions.js';
import { session, startServer } from './helpers/server.js';

test('the server pings every pingMs and answers client pings', async () => {
  const server = await startServer({ pingMs: 30 });
  const client = await session(server.url);
  expect(client.welcome!.pingMs).toBe(30);
  await client.until(() => client.controls('ping').length >= 3, '3 pings');
  client.sendControl({ t: 'ping' });
  await client.until(() => client.controls('pong').length === 1, 'pong');
  expect(client.closeEvent).toBeUndefined();
});

test('a socket that stays silent past 2 * pingMs + heartbeatTimeoutMs is reaped; its session waits for a resume', async () => {
  const server = await startServer({ pingMs: 40, heartbeatTimeoutMs: 60 });
  const got = nextSession(server);
  // Before the hello: the last frame the server hears arrives after this.
  const start = Date.now();
  const client = await session(server.url, {}, { autoPong: false });
  const s = await got;
  const closed = await sessionEvent(s, 'close');
  const elapsed = Date.now() - start;
  expect(closed).toEqual({ code: 4408, reason: 'no traffic for 140 ms' });
  expect(elapsed).toBeGreaterThanOrEqual(140);
  expect(elapsed).toBeLessThan(1000);
  // Terminated, not closed: a silent peer would not answer a close frame.
  expect((await client.closed).code).toBe(1006);
  expect(s.state).toBe('disconnected');
  expect(server.metrics()).toMatch(/continuum_reaped_sockets_total 1/);
});

test('a client that answers pings is never reaped', async () => {
  const server = await startServer({ pingMs: 20, heartbeatTimeoutMs: 20 });
  const client = await session(server.url);
  await client.until(() => client.controls('ping').length >= 10, '10 pings');
  expect(client.closeEvent).toBeUndefined();
});
