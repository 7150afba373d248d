import { expect, test } from 'vitest';
import { connect, startServer } from './helpers/server.js';

test('a socket that never says hello is closed with 4008 after handshakeTimeoutMs', async () => {
  const server = await startServer({ handshakeTimeoutMs: 50 });
  const client = await connect(server.url);
  const start = Date.now();
  const { code } = await client.closed;
  expect(code).toBe(4008);
  expect(Date.now() - start).toBeGreaterThanOrEqual(40);
  expect(server.metrics()).toMatch(/continuum_handshake_failures_total\{reason="timeout"\} 1/);
});

test('an authenticate that never answers is cut by the same deadline', async () => {
  const server = await startServer({ handshakeTimeoutMs: 50, authenticate: () => new Promise(() => {}) });
  const client = await connect(server.url);
  client.hello(undefined, 'token');
  expect((await client.closed).code).toBe(4008);
  expect(server.sessions.size).toBe(0);
});
