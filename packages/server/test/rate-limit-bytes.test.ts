// Over limits.bytesPerSecond: close 4429 with a retry hint, nothing lost.
import { expect, test, vi } from 'vitest';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test('frames past the byte budget: 4429 naming the byte rate, then every message handled once', async () => {
  const server = await startServer({ limits: { bytesPerSecond: 2000 } });
  const handled: string[] = [];
  server.on('session', (s) => s.on('message', (data) => void handled.push(data as string)));
  const { client, log } = nodeClient(server.url, { batch: false });
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));
  const sent = Array.from({ length: 8 }, (_, i) => `${i}`.padEnd(700, '.'));
  await Promise.all(sent.map((m) => client.send(m)));
  expect(handled).toEqual(sent);
  expect(log.closes[0]).toMatchObject({ code: 4429, willReconnect: true });
  expect(log.closes[0].reason).toMatch(/^rate limit: over 2000 bytes\/s; retry=\d+-\d+$/);
  expect(server.metrics()).toMatch(/continuum_limited_total\{limit="bytes"\} [1-9]/);
});
