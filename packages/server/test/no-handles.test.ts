import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { createServer } from '../src/index.js';
import { RawClient } from './helpers/raw-client.js';
import { transpileServer } from './helpers/transpile.js';

test('a process that starts and closes a server exits by itself', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'continuum-server-'));
  try {
    const { server, ws } = transpileServer(dir);
    const script = join(dir, 'main.mjs');
    // Leaves every kind of owned resource in flight at close(): a connected session with
    // an ack timer pending, a disconnected one (ttl timer), a socket still handshaking,
    // and a keep-alive HTTP connection.
    writeFileSync(
      script,
      `
      import { createServer } from '${server}';
      import { WebSocket } from '${ws}';
      const server = await createServer({ host: '127.0.0.1', port: 0, pingMs: 20 });
      server.on('session', (s) => s.on('message', () => {}));
      const open = (hello) => new Promise((resolve) => {
        const socket = new WebSocket(server.url, 'continuum.v1');
        socket.on('error', () => {});
        socket.on('open', () => {
          if (!hello) return resolve(socket);
          socket.send(JSON.stringify({ t: 'hello', v: 1 }));
          socket.on('message', (data, isBinary) => { if (!isBinary) resolve(socket); });
        });
      });
      const live = await open(true);
      const dropped = await open(true);
      dropped.terminate();
      await open(false);
      await fetch(server.url.replace('ws:', 'http:') + 'health');
      live.send(new Uint8Array([1, 0, 1, 4, 97])); // DATA seq 1 'a': the ack timer starts
      await new Promise((r) => setTimeout(r, 5));
      await server.close({ timeoutMs: 200 });
      console.log('closed');
      `,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    clearTimeout(killer);
    expect(output.trim()).toBe('closed');
    expect(exit).toEqual({ code: 0, signal: null });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const range = (n: number) => Array.from({ length: n + 1 }, (_, i) => i);

test('after close() no timer, server or socket of ours is left in this process', async () => {
  const count = () => {
    const counts = new Map<string, number>();
    for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
    return counts;
  };
  const before = count();
  const server = await createServer({ host: '127.0.0.1', port: 0, pingMs: 20, session: { ttlMs: 60_000 } });
  server.on('session', (s) => s.on('message', () => {}));
  const a = new RawClient(server.url);
  await a.opened;
  a.hello();
  await a.waitWelcome();
  a.send('x'); // ack timer pending
  const b = new RawClient(server.url);
  await b.opened;
  b.hello();
  await b.waitWelcome();
  await b.drop(); // ttl timer pending
  const c = new RawClient(server.url); // handshake timer pending
  await c.opened;
  expect(count().get('Timeout') ?? 0).toBeGreaterThan(before.get('Timeout') ?? 0);
  await server.close({ timeoutMs: 100 });
  await Promise.all([a.closed, c.closed]);
  // Closed sockets release their handles on the next turns.
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 10));
  const after = count();
  // At most what was there before (the test runner's own timers come and go).
  for (const kind of ['Timeout', 'TCPServerWrap', 'TCPSocketWrap']) {
    expect({ kind, count: after.get(kind) ?? 0 }).toEqual({ kind, count: expect.toBeOneOf(range(before.get(kind) ?? 0)) });
  }
});
