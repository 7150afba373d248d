// A batch larger than the whole bucket passes once (the session goes into debt) instead
// of being refused forever; the next frame waits until the debt is paid.
import { expect, test, vi } from 'vitest';
import { parseRetryHint } from '@continuum/protocol';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test('60 messages in one frame at 20 messages/s: handled without a close; the next frame gets 4429 with the debt as hint', async () => {
  const server = await startServer({ limits: { messagesPerSecond: 20 } });
  const handled: string[] = [];
  server.on('session', (s) => s.on('message', (data) => void handled.push(data as string)));
  const { client, log } = nodeClient(server.url);
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));
  const batch = Array.from({ length: 60 }, (_, i) => `m${i}`);
  await Promise.all(batch.map((m) => client.send(m)));
  expect(handled).toEqual(batch);
  expect(log.closes).toEqual([]);
  expect(client.stats().framesOut).toBeLessThanOrEqual(3); // hello + one DATA frame (+ a pong)

  await client.send('one more');
  expect(handled.at(-1)).toBe('one more');
  expect(handled).toHaveLength(61);
  expect(log.closes[0]?.code).toBe(4429);
  // 40 messages of debt at 20/s: come back in no less than ~2 s.
  expect(parseRetryHint(log.closes[0].reason)!.minMs).toBeGreaterThanOrEqual(1900);
});
