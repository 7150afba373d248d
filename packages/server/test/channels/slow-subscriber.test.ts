// A subscriber that stops reading must not grow the server's memory without bound:
// publications are written straight to subscriber sockets (encoded once, no per-subscriber
// queue), so past `channels.maxBufferedBytes` unsent the socket is destroyed, the session
// reports 1013, and the other subscribers keep receiving.
import { FrameKind } from '@continuum/protocol';
import { expect, test } from 'vitest';
import type { Session } from '../../src/index.js';
import { session, startServer } from '../helpers/server.js';

test('a subscriber that stops reading is cut at maxBufferedBytes; a reading one gets everything', async () => {
  const server = await startServer({ channels: { maxBufferedBytes: 1024 * 1024 } });
  const sessions: Session[] = [];
  server.on('session', (s) => sessions.push(s));
  const slow = await session(server.url);
  const fast = await session(server.url);
  for (const c of [slow, fast]) c.sendControl({ t: 'sub', ch: 'feed' });
  const subscribed = (c: typeof slow) => c.log.some((m) => m.kind === 'control' && m.message.t === 'subscribed');
  await slow.until(() => subscribed(slow), 'slow subscribed');
  await fast.until(() => subscribed(fast), 'fast subscribed');
  const [slowSession] = sessions;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => slowSession!.once('close', resolve));

  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const chunk = 'p'.repeat(64 * 1024);
  const total = 200; // 12.5 MiB: far past the 1 MiB bound and the kernel's socket buffers
  const publications = () => fast.log.filter((m) => m.kind === 'frame' && m.frame.kind === FrameKind.PUBLICATION).length;
  for (let i = 1; i <= total; i++) {
    await server.publish('feed', chunk);
    // The reading subscriber keeps up (never 1 MiB behind); the paused one cannot.
    if (i % 8 === 0) await fast.until(() => publications() === i, `publication ${i} at the reading subscriber`);
  }
  expect(await closed).toEqual({ code: 1013, reason: 'slow subscriber: publications piled up unsent' });
  await fast.until(() => publications() === total, 'every publication at the reading subscriber');
  expect(fast.closeEvent).toBeUndefined();
}, 30_000);
