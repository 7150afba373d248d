import { expect, test } from 'vitest';
import { createServer, DEFAULTS } from '../src/index.js';

test.each([
  [{}, TypeError, /pass port/],
  [{ port: 0, pingMS: 10 }, TypeError, /unknown option "pingMS"/],
  [{ port: -1 }, RangeError, /port must be between 0 and 65535/],
  [{ port: '80' }, TypeError, /port must be an integer/],
  [{ port: 0, pingMs: 0 }, RangeError, /pingMs/],
  [{ port: 0, pingMs: 1.5 }, TypeError, /pingMs must be an integer/],
  [{ port: 0, handshakeTimeoutMs: 2 ** 31 }, RangeError, /handshakeTimeoutMs/],
  [{ port: 0, maxMessageBytes: 1000, maxFrameBytes: 1000 }, RangeError, /at least maxMessageBytes \+ 64/],
  [{ port: 0, path: 'ws' }, TypeError, /path must start with "\/"/],
  [{ port: 0, allowedOrigins: 'https://a.example' }, TypeError, /allowedOrigins/],
  [{ port: 0, authenticate: 'yes' }, TypeError, /authenticate must be a function/],
  [{ port: 0, session: { ttl: 5 } }, TypeError, /unknown option "session.ttl"/],
  [{ port: 0, session: { replayMaxMessages: 0 } }, RangeError, /session.replayMaxMessages/],
  [{ port: 0, store: {} }, TypeError, /store must implement SessionStore \(missing getSession\)/],
  [{ port: 0, server: {} }, TypeError, /server must be an http.Server/],
  [{ port: 0, refreshLeadMs: -1 }, RangeError, /refreshLeadMs/],
  [{ port: 0, limits: 5 }, TypeError, /limits must be an object/],
  [{ port: 0, limits: { messagesPerSec: 5 } }, TypeError, /unknown option "limits.messagesPerSec"/],
  [{ port: 0, limits: { messagesPerSecond: 0 } }, RangeError, /limits.messagesPerSecond must be at least 1/],
  [{ port: 0, limits: { bytesPerSecond: 1.5 } }, TypeError, /limits.bytesPerSecond must be a positive integer or Infinity/],
  [{ port: 0, limits: { sessionsPerIdentity: '10' } }, TypeError, /limits.sessionsPerIdentity/],
  [{ port: 0, limits: { concurrentHandshakes: NaN } }, TypeError, /limits.concurrentHandshakes/],
  [{ port: 0, perMessageDeflate: 'yes' }, TypeError, /perMessageDeflate must be a boolean/],
])('createServer(%j) throws %s', async (options, type, message) => {
  const attempt = createServer(options as never);
  await expect(attempt).rejects.toThrow(type);
  await expect(attempt).rejects.toThrow(message);
});

test('the defaults are the documented ones', () => {
  expect(DEFAULTS).toEqual({
    maxMessageBytes: 1_048_576,
    frameEnvelopeBytes: 65_536,
    pingMs: 25_000,
    heartbeatTimeoutMs: 10_000,
    handshakeTimeoutMs: 10_000,
    refreshLeadMs: 30_000,
    session: { ttlMs: 120_000, replayMaxMessages: 10_000, replayMaxBytes: 8_388_608, dedupWindowMs: 600_000 },
    limits: { messagesPerSecond: 10_000, bytesPerSecond: 16_777_216, sessionsPerIdentity: 100, concurrentHandshakes: 1000 },
    perMessageDeflate: false,
    channels: { historyMaxMessages: 1000, historyMaxAgeMs: 300_000, maxSubscriptionsPerSession: 100, maxBufferedBytes: 8 * 1024 * 1024 },
  });
});

test('Infinity turns a limit off', async () => {
  const server = await createServer({ host: '127.0.0.1', port: 0, limits: { messagesPerSecond: Infinity } });
  await server.close();
});

test('a port already in use rejects, and leaves nothing running', async () => {
  const first = await createServer({ host: '127.0.0.1', port: 0 });
  try {
    await expect(createServer({ host: '127.0.0.1', port: first.port })).rejects.toThrow(/EADDRINUSE/);
  } finally {
    await first.close();
  }
});
