import { FrameKind } from '@continuum/protocol';
import { expect, test, vi } from 'vitest';
import { nextSession, sessionEvent } from './helpers/sessions.js';
import { session, startServer } from './helpers/server.js';

test('a resume replays exactly the messages the client missed, then continues live', async () => {
  const server = await startServer();
  const got = nextSession(server);
  const first = await session(server.url);
  const s = await got;
  let sessionEvents = 0;
  server.on('session', () => sessionEvents++);

  for (let i = 1; i <= 5; i++) s.send(`m${i}`);
  await first.waitDelivered(5);
  first.ack(2); // the client acknowledged 1–2 only
  await vi.waitFor(() => expect(s.record.peerAck).toBe(2));
  expect(s.record.replay).toHaveLength(3);

  const closed = sessionEvent(s, 'close');
  await first.drop();
  await closed;
  expect(s.state).toBe('disconnected');
  // Sent while nobody is connected: kept for the resume.
  s.send('m6');
  s.send('m7');

  const second = await session(server.url, { resume: { ...first.resumeInfo(), recv: 5 } });
  const welcome = second.welcome!;
  expect(welcome.resumed).toBe(true);
  expect(welcome.id).toBe(first.welcome!.id);
  expect(welcome.gap).toBeUndefined();
  expect(welcome.previous).toBeUndefined();
  expect(welcome.sent).toBe(7); // replays 6–7: the client can say how many it gets again
  await second.waitDelivered(2);
  expect(second.delivered).toEqual([
    { seq: 6, data: 'm6' },
    { seq: 7, data: 'm7' },
  ]);
  expect(second.duplicates).toBe(0);
  s.send('m8');
  await second.waitDelivered(3);
  expect(second.delivered[2]).toEqual({ seq: 8, data: 'm8' });
  expect(sessionEvents).toBe(0); // once per session, not per socket
  expect(s.connected).toBe(true);
  // The resume counted 3, 4, 5 as acknowledged (hello.resume.recv).
  expect(s.record.replay.length).toBeLessThanOrEqual(3);
});

test('a resume from an older point replays everything after it, in order, in batched frames', async () => {
  const server = await startServer();
  const got = nextSession(server);
  const first = await session(server.url);
  const s = await got;
  for (let i = 1; i <= 100; i++) s.send(`m${i}`);
  await first.waitDelivered(100);
  await first.drop();
  const second = await session(server.url, { resume: { ...first.resumeInfo(), recv: 40 } });
  await second.waitDelivered(60);
  expect(second.delivered.map((d) => d.seq)).toEqual(Array.from({ length: 60 }, (_, i) => 41 + i));
  expect(second.frames(FrameKind.DATA)).toHaveLength(1);
  expect(server.metrics()).toMatch(/continuum_replayed_messages_total 60/);
  expect(server.metrics()).toMatch(/continuum_resumes_total\{result="ok"\} 1/);
});

test('the welcome of a resume tells the client what the server received, so it re-sends only the rest', async () => {
  const server = await startServer();
  const handled: string[] = [];
  server.on('session', (s) => s.on('message', (data) => void handled.push(data as string)));
  const first = await session(server.url);
  first.send('a', 'b', 'c');
  await first.waitServerAck(3);
  await first.drop();
  const second = await session(server.url, { resume: first.resumeInfo() });
  expect(second.welcome).toMatchObject({ resumed: true, recv: 3, ack: 3 });
  // The client re-sends from recv + 1; a retransmitted duplicate is dropped.
  second.sendAt(3, 'c', 'd');
  await second.waitServerAck(4);
  expect(handled).toEqual(['a', 'b', 'c', 'd']);
});
