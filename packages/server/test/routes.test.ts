import { createServer as createHttpServer } from 'node:http';
import { expect, test } from 'vitest';
import { createServer } from '../src/index.js';
import { session, startServer } from './helpers/server.js';

test('GET /health answers JSON with sessions and connections', async () => {
  const server = await startServer();
  await session(server.url);
  const res = await fetch(`http://127.0.0.1:${server.port}/health`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json');
  expect(await res.json()).toEqual({ status: 'ok', sessions: 1, connections: 1 });
});

test('GET /metrics answers the Prometheus text format', async () => {
  const server = await startServer();
  server.on('session', (s) => s.on('message', (data) => void s.send(data)));
  const client = await session(server.url);
  client.send('ping me');
  await client.waitDelivered(1);
  const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  expect(text).toContain('# TYPE continuum_sessions gauge');
  expect(text).toMatch(/^continuum_sessions 1$/m);
  expect(text).toMatch(/^continuum_connections 1$/m);
  expect(text).toMatch(/^continuum_messages_received_total 1$/m);
  expect(text).toMatch(/^continuum_messages_sent_total 1$/m);
  expect(text).toMatch(/^continuum_bytes_received_total \d+$/m);
  expect(text).toMatch(/^continuum_bytes_sent_total \d+$/m);
  expect(text).toMatch(/^continuum_resumes_total\{result="ok"\} 0$/m);
});

test('other paths: 426 on the socket path, 404 elsewhere', async () => {
  const server = await startServer({ path: '/ws' });
  expect((await fetch(`http://127.0.0.1:${server.port}/ws`)).status).toBe(426);
  expect((await fetch(`http://127.0.0.1:${server.port}/nope`)).status).toBe(404);
});

test("on the app's own http.Server: only upgrades are taken, routes only when asked", async () => {
  const http = createHttpServer((_req, res) => res.end('app'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const plain = await createServer({ server: http, path: '/ws' });
  const client = await session(plain.url);
  expect(client.welcome!.resumed).toBe(false);
  expect(await (await fetch(`http://127.0.0.1:${plain.port}/health`)).text()).toBe('app');
  await plain.close({ timeoutMs: 100 });
  expect(http.listening).toBe(true); // the app's server is the app's to close

  const withRoutes = await createServer({ server: http, path: '/ws', routes: true });
  expect((await fetch(`http://127.0.0.1:${withRoutes.port}/health`)).status).toBe(200);
  expect(await (await fetch(`http://127.0.0.1:${withRoutes.port}/other`)).text()).toBe('app');
  await withRoutes.close({ timeoutMs: 100 });
  expect(await (await fetch(`http://127.0.0.1:${withRoutes.port}/health`)).text()).toBe('app');
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
});
