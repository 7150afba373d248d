import { expect, test } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { session, startServer, track } from './helpers/server.js';

test('a foreign Origin gets HTTP 403 before the upgrade', async () => {
  const server = await startServer({ allowedOrigins: ['https://app.example.com'] });
  const client = track(new RawClient(server.url, { origin: 'https://evil.example.com' }));
  await expect(client.opened).rejects.toThrow('HTTP 403');
  expect(server.metrics()).toMatch(/continuum_handshake_failures_total\{reason="origin"\} 1/);
});

test('an allowed Origin (compared case-insensitively) and a request without Origin are accepted', async () => {
  const server = await startServer({ allowedOrigins: ['https://App.Example.com/'] });
  const browser = await session(server.url, {}, { origin: 'https://app.example.com' });
  expect(browser.welcome!.resumed).toBe(false);
  const service = await session(server.url); // Node clients send no Origin
  expect(service.welcome!.resumed).toBe(false);
});

test('allowedOrigins may be a predicate', async () => {
  const server = await startServer({ allowedOrigins: (origin) => origin.endsWith('.example.com') });
  await session(server.url, {}, { origin: 'https://a.example.com' });
  const client = track(new RawClient(server.url, { origin: 'https://example.org' }));
  await expect(client.opened).rejects.toThrow('HTTP 403');
});

test('an upgrade to another path gets 404 when path is set', async () => {
  const server = await startServer({ path: '/ws' });
  expect(server.url).toMatch(/\/ws$/);
  await session(server.url + '?token=x');
  const client = track(new RawClient(server.url.replace(/\/ws$/, '/other')));
  await expect(client.opened).rejects.toThrow('HTTP 404');
});
