import { expect, test } from 'vitest';
import { session, startServer } from './helpers/server.js';

test('text stays text and binary stays bytes, both ways', async () => {
  const server = await startServer();
  const seen: unknown[] = [];
  server.on('session', (s) => {
    s.on('message', (data, meta) => {
      seen.push([data, meta.seq]);
      s.send(data);
    });
  });
  const client = await session(server.url);
  client.send('hello', 'wörld ✓');
  client.send(new Uint8Array([0, 1, 2, 255]));
  const delivered = await client.waitDelivered(3);
  expect(delivered.map((d) => d.data)).toEqual(['hello', 'wörld ✓', new Uint8Array([0, 1, 2, 255])]);
  expect(delivered.map((d) => d.seq)).toEqual([1, 2, 3]);
  expect(typeof delivered[0].data).toBe('string');
  expect(delivered[2].data).toBeInstanceOf(Uint8Array);
  expect(seen.map((x) => (x as [unknown, number])[1])).toEqual([1, 2, 3]);
  expect((seen[2] as [Uint8Array])[0]).toBeInstanceOf(Uint8Array);
  // The DATA frames going back piggyback the ack of what the handlers handled.
  await client.waitServerAck(3);
});

test('send() refuses what is not a string or bytes, and messages over maxMessageBytes', async () => {
  const server = await startServer({ maxMessageBytes: 10 });
  const got = new Promise<import('../src/index.js').Session>((resolve) => server.on('session', resolve));
  await session(server.url);
  const s = await got;
  expect(() => s.send(42 as unknown as string)).toThrow(TypeError);
  expect(() => s.send('x'.repeat(11))).toThrow(RangeError);
  expect(() => s.send('é'.repeat(6))).toThrow(RangeError); // 12 bytes of UTF-8
  expect(s.send('x'.repeat(10))).toBe(true);
});
