// limits.concurrentHandshakes: past it, upgrades get HTTP 503 + Retry-After before a
// WebSocket exists; a client gets in once a handshake slot frees.
import { expect, test, vi } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { nodeClient } from './helpers/node-client.js';
import { connect, session, startServer, track } from './helpers/server.js';

test('two sockets that never say hello fill the slots: the third upgrade is refused 503, then admitted', async () => {
  const server = await startServer({ limits: { concurrentHandshakes: 2 } });
  const silent1 = await connect(server.url);
  const silent2 = await connect(server.url);

  const refused = track(new RawClient(server.url));
  await expect(refused.opened).rejects.toThrow('HTTP 503');
  expect(server.metrics()).toMatch(/continuum_handshake_failures_total\{reason="overloaded"\} 1/);
  expect(server.metrics()).toMatch(/continuum_limited_total\{limit="handshakes"\} 1/);

  // The Node client sees the status, and keeps trying.
  const { log } = nodeClient(server.url);
  await vi.waitFor(() => expect(log.errors.some((e) => e.code === 'HANDSHAKE_REFUSED' && e.status === 503)).toBe(true));
  expect(log.sessions).toEqual([]);

  // A welcome frees a slot as much as a close does.
  silent1.hello();
  await silent1.waitWelcome();
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1), { timeout: 8000 });
  silent2.ws.terminate();
  await session(server.url);
});

test('the 503 carries Retry-After', async () => {
  const server = await startServer({ limits: { concurrentHandshakes: 1 } });
  await connect(server.url);
  const response = await new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
    const client = track(new RawClient(server.url));
    client.ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] }));
    client.opened.then(() => reject(new Error('upgraded')), () => {});
  });
  expect(response).toEqual({ status: 503, retryAfter: '5' });
});
