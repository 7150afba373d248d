import { parseRetryHint } from '@continuum/protocol';
import { expect, test } from 'vitest';
import { nextSession, sessionEvent } from './helpers/sessions.js';
import { connect, session, startServer } from './helpers/server.js';

test('close() sends 1012 with a retry hint to every socket and ends every session', async () => {
  const server = await startServer();
  const got = nextSession(server);
  const a = await session(server.url);
  const sa = await got;
  const b = await session(server.url);
  const handshaking = await connect(server.url);
  const ended = sessionEvent(sa, 'end');
  await server.close();
  for (const client of [a, b, handshaking]) {
    const { code, reason } = await client.closed;
    expect(code).toBe(1012);
    expect(parseRetryHint(reason)).toEqual({ minMs: 1000, maxMs: 5000 });
  }
  expect(await ended).toEqual({ reason: 'shutdown' });
  expect(server.sessions.size).toBe(0);
  await expect(fetch(`http://127.0.0.1:${server.port}/health`).catch(() => 'refused')).resolves.toBe('refused');
});

test('the close code and reason are configurable, and close() is idempotent', async () => {
  const server = await startServer();
  const client = await session(server.url);
  const first = server.close({ code: 1001, reason: 'going away; retry=100-200' });
  expect(server.close()).toBe(first);
  await first;
  expect(await client.closed).toEqual({ code: 1001, reason: 'going away; retry=100-200' });
});

test('a client that never answers the close frame does not hold close() past timeoutMs', async () => {
  const server = await startServer();
  const client = await session(server.url);
  // Stop reading: our close frame is never answered.
  (client.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const start = Date.now();
  await server.close({ timeoutMs: 100 });
  const elapsed = Date.now() - start;
  expect(elapsed).toBeGreaterThanOrEqual(90); // it really waited for the silent client…
  expect(elapsed).toBeLessThan(1000); // …and no longer than asked
});
