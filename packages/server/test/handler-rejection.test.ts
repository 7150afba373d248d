import { expect, test, vi } from 'vitest';
import { session, startServer } from './helpers/server.js';

test('a handler whose promise rejects: nack {seq, REJECTED_BY_SERVER, message}, sent before the ack covering it', async () => {
  const server = await startServer();
  server.on('session', (s) =>
    s.on('message', async (data) => {
      await new Promise((r) => setTimeout(r, 1));
      if (data === 'bad') throw new Error('not allowed: bad');
    }),
  );
  const client = await session(server.url);
  client.send('good', 'bad', 'good again');
  await client.waitServerAck(3);
  expect(client.nacks).toEqual([{ t: 'nack', seq: 2, code: 'REJECTED_BY_SERVER', message: 'not allowed: bad' }]);
  const nackIndex = client.log.findIndex((x) => x.kind === 'control' && x.message.t === 'nack');
  const coveringAck = client.log.findIndex(
    (x) => x.kind === 'frame' && 'ack' in x.frame && x.frame.ack >= 2,
  );
  expect(nackIndex).toBeGreaterThanOrEqual(0);
  expect(nackIndex).toBeLessThan(coveringAck);
});

test('a handler that throws synchronously is a rejection too', async () => {
  const server = await startServer();
  server.on('session', (s) =>
    s.on('message', (data) => {
      if (data === 'boom') throw new TypeError('boom');
    }),
  );
  const client = await session(server.url);
  client.send('boom');
  await client.waitServerAck(1);
  expect(client.nacks.map((n) => [n.seq, n.message])).toEqual([[1, 'boom']]);
});

test('a nack that could not be delivered is sent again after a resume, before the ack covering it', async () => {
  const server = await startServer();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const closed = new Promise<void>((resolve) =>
    server.on('session', (s) => {
      s.on('close', () => resolve());
      s.on('message', async () => {
        await gate;
        throw new Error('rejected while you were away');
      });
    }),
  );
  const first = await session(server.url);
  first.send('x');
  await first.drop();
  await closed;
  const [s] = [...server.sessions];
  release();
  // The rejection happens while no socket is attached.
  await vi.waitFor(() => expect(s.record.nacks).toHaveLength(1));
  const second = await session(server.url, { resume: first.resumeInfo() });
  // The welcome must not ack seq 1 before its nack arrived.
  expect(second.welcome).toMatchObject({ resumed: true, recv: 1, ack: 0 });
  await second.waitServerAck(1);
  expect(second.nacks.map((n) => n.seq)).toEqual([1]);
});
