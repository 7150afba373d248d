// permessage-deflate: off by default; negotiated when both sides opt in, and then the
// bytes on the wire really shrink.
import { createServer as createHttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, expect, test, vi } from 'vitest';
import { nodeTransport, type NodeOptions, type Transport } from '@continuum/node';
import type { ServerOptions } from '../src/index.js';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server on an http.Server of our own, to count the raw bytes that cross its sockets. */
async function serverCountingBytes(options: Partial<ServerOptions>) {
  const http = createHttpServer();
  const sockets: Socket[] = [];
  http.on('connection', (s: Socket) => sockets.push(s));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => http.close(r)));
  const server = await startServer({ ...options, server: http, host: undefined, port: undefined });
  // Upgraded sockets hold http.close() open: close the Continuum server first.
  cleanups.push(() => server.close({ timeoutMs: 100 }));
  const count = () => ({
    read: sockets.reduce((n, s) => n + s.bytesRead, 0),
    written: sockets.reduce((n, s) => n + s.bytesWritten, 0),
  });
  return { server, count };
}

/** The Node client's own transport, with its `extensions` kept for the test to read. */
function capturing(options: NodeOptions) {
  const transports: Transport[] = [];
  const factory = nodeTransport(options);
  return {
    transports,
    transport: (...args: Parameters<typeof factory>) => {
      const t = factory(...args);
      transports.push(t);
      return t;
    },
  };
}

async function echoRoundTrip(options: Partial<ServerOptions>, clientDeflate: boolean) {
  const { server, count } = await serverCountingBytes(options);
  const received: string[] = [];
  server.on('session', (s) =>
    s.on('message', (data) => {
      received.push(data as string);
      s.send(data);
    }),
  );
  const capture = capturing({ perMessageDeflate: clientDeflate });
  const { client, log } = nodeClient(server.url, {
    perMessageDeflate: clientDeflate,
    transport: capture.transport,
  });
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));
  const before = count();
  const big = 'continuum '.repeat(20_000); // 200 KB, very compressible
  await client.send(big);
  await vi.waitFor(() => expect(log.messages).toHaveLength(1));
  expect(received).toEqual([big]);
  expect(log.messages[0].data).toBe(big);
  const after = count();
  return {
    extensions: capture.transports[0].extensions,
    /** Client → server bytes on the wire. */
    up: after.read - before.read,
    /** Server → client bytes on the wire. */
    down: after.written - before.written,
    size: big.length,
  };
}

test('both sides opted in: permessage-deflate is negotiated and a 200 KB message crosses in a few KB', async () => {
  const { extensions, up, down, size } = await echoRoundTrip({ perMessageDeflate: true }, true);
  expect(extensions).toContain('permessage-deflate');
  expect(up).toBeLessThan(size / 20);
  expect(down).toBeLessThan(size / 20);
});

test('by default the server does not negotiate it, even when the client offers it', async () => {
  const { extensions, up, down, size } = await echoRoundTrip({}, true);
  expect(extensions).toBe('');
  expect(up).toBeGreaterThan(size);
  expect(down).toBeGreaterThan(size);
});

test("ws options are passed through: with the server's threshold above the message size, only the client compresses", async () => {
  // ws applies `threshold` only with no context takeover (lib/sender.js, `rsv1 = byteLength >= _threshold`).
  const deflate = { threshold: 1024 * 1024, serverNoContextTakeover: true };
  const { extensions, up, down, size } = await echoRoundTrip({ perMessageDeflate: deflate }, true);
  expect(extensions).toContain('permessage-deflate');
  expect(up).toBeLessThan(size / 20);
  expect(down).toBeGreaterThan(size);
});

test('server on, client off: not negotiated, messages flow', async () => {
  const { extensions } = await echoRoundTrip({ perMessageDeflate: true }, false);
  expect(extensions).toBe('');
});
