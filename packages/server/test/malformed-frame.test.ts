import { expect, test } from 'vitest';
import { session, startServer } from './helpers/server.js';

test.each([
  ['an unknown frame kind', new Uint8Array([0x7f, 0, 0])],
  ['a truncated DATA frame', new Uint8Array([0x01, 0x00])],
  ['a DATA frame with seq 0', new Uint8Array([0x01, 0x00, 0x00, 0x04, 0x61])],
  ['an entry longer than the frame', new Uint8Array([0x01, 0x00, 0x01, 0x40, 0x61])],
  ['invalid UTF-8 in a text entry', new Uint8Array([0x01, 0x00, 0x01, 0x04, 0xff])],
  ['a publication frame from a client', new Uint8Array([0x04, 1, 0x61, 1, 0x31, 1, 0x04, 0x61])],
])('%s closes the socket with 4002', async (_name, bytes) => {
  const server = await startServer();
  const client = await session(server.url);
  client.raw(bytes);
  const { code, reason } = await client.closed;
  expect(code).toBe(4002);
  expect(reason).toMatch(/^protocol error/);
});

test.each([
  ['text that is not JSON', '{nope'],
  ['JSON that is not an object', '[1,2]'],
  ['a control message without a type', '{"v":1}'],
  ['a hello with a bad resume', '{"t":"hello","v":1,"resume":{"id":1}}'],
])('%s closes the socket with 4002', async (_name, text) => {
  const server = await startServer();
  const client = await session(server.url);
  client.raw(text);
  expect((await client.closed).code).toBe(4002);
});

test('a control message of an unknown type is ignored (forward compatibility)', async () => {
  const server = await startServer();
  server.on('session', (s) => s.on('message', () => {}));
  const client = await session(server.url);
  client.raw('{"t":"from-the-future","x":1}');
  client.send('still fine');
  await client.waitServerAck(1);
  expect(client.closeEvent).toBeUndefined();
});

test('a second hello is a protocol error', async () => {
  const server = await startServer();
  const client = await session(server.url);
  client.hello();
  expect((await client.closed).code).toBe(4002);
});
