// Over limits.messagesPerSecond: close 4429 with a retry hint; the client resumes and
// re-sends what the server did not take, so every message is handled exactly once.
import { expect, test, vi } from 'vitest';
import { parseRetryHint } from '@continuum/protocol';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test('one message per frame past the bucket: 4429 + retry hint, then everything arrives once, in order', async () => {
  const server = await startServer({ limits: { messagesPerSecond: 10 } });
  const handled: string[] = [];
  const serverCloses: { code: number; reason: string }[] = [];
  server.on('session', (s) => {
    s.on('message', (data) => void handled.push(data as string));
    s.on('close', (e) => serverCloses.push(e));
  });
  // batch: false puts each message in its own frame, so the 11th frame finds the bucket empty.
  const { client, log } = nodeClient(server.url, { batch: false });
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));
  const sent = Array.from({ length: 25 }, (_, i) => `m${i + 1}`);
  await Promise.all(sent.map((m) => client.send(m)));

  expect(handled).toEqual(sent);
  // The precondition: the limit really was hit.
  expect(serverCloses.length).toBeGreaterThanOrEqual(1);
  const close = log.closes[0];
  expect(close).toMatchObject({ code: 4429, willReconnect: true });
  expect(close.reason).toMatch(/^rate limit: over 10 messages\/s; retry=\d+-\d+$/);
  const hint = parseRetryHint(close.reason)!;
  expect(hint.minMs).toBeGreaterThanOrEqual(1000);
  expect(hint.maxMs).toBeGreaterThan(hint.minMs);
  // Same session all along.
  expect(log.sessions.every((s) => s.id === log.sessions[0].id)).toBe(true);
  expect(log.sessions.slice(1).every((s) => s.resumed)).toBe(true);
  expect(server.metrics()).toMatch(/continuum_limited_total\{limit="messages"\} [1-9]/);
});
