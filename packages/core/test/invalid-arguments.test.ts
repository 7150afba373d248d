// Programmer errors throw INVALID_ARGUMENT synchronously: a wrong send() argument,
// an invalid URL, invalid options.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { Client, ContinuumError, ReconnectingWebSocket, type ClientOptions } from '@continuum/core';
import { FakeServer, TEST_URL, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function invalidArgument(fn: () => unknown): ContinuumError {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ContinuumError);
  expect((thrown as ContinuumError).code).toBe('INVALID_ARGUMENT');
  return thrown as ContinuumError;
}

describe('INVALID_ARGUMENT', () => {
  it.each([
    ['a number', 123],
    ['a plain object', {}],
    ['null', null],
    ['undefined', undefined],
    ['an array', ['x']],
  ])('send(%s) throws synchronously', async (_name, value) => {
    const { server, client } = start();
    await server.open();
    invalidArgument(() => client.send(value as never));
    expect(client.stats().outboxMessages).toBe(0);
  });

  it('send() with a wrong type throws even after close()', async () => {
    const { client } = start();
    await client.close();
    invalidArgument(() => client.send(123 as never));
  });

  it.each(['http://example.com/', 'not a url', '', 'ftp://x/'])('new Client(%j) throws', (url) => {
    const error = invalidArgument(() => new Client(url, { transport: new FakeServer().transport }));
    expect(error.message.length).toBeGreaterThan(10);
  });

  it('a non-string, non-function url throws', () => {
    invalidArgument(() => new Client(42 as never, { transport: new FakeServer().transport }));
  });

  it('ws:// and wss:// urls and url providers are accepted', () => {
    expect(() => new Client('wss://example.com/x', { transport: new FakeServer().transport, autoConnect: false })).not.toThrow();
    expect(() => new Client(() => 'ws://x/', { transport: new FakeServer().transport, autoConnect: false })).not.toThrow();
  });

  const bad: [string, ClientOptions][] = [
    ['backoff.maxMs < 0', { backoff: { maxMs: -1 } }],
    ['backoff.initialMs NaN', { backoff: { initialMs: Number.NaN } }],
    ['backoff.factor < 1', { backoff: { factor: 0.5 } }],
    ['backoff.jitter unknown', { backoff: { jitter: 'random' as never } }],
    ['connectTimeoutMs 0', { connectTimeoutMs: 0 }],
    ['connectTimeoutMs Infinity', { connectTimeoutMs: Infinity }],
    ['maxRetries -1', { maxRetries: -1 }],
    ['maxRetries a string', { maxRetries: '3' as never }],
    ['minUptimeMs -5', { minUptimeMs: -5 }],
    ['outbox.maxMessages 0', { outbox: { maxMessages: 0 } }],
    ['outbox.overflow unknown', { outbox: { overflow: 'drop-newest' as never } }],
    ['onSessionLost unknown', { onSessionLost: 'ignore' as never }],
    ['maxMessageBytes 0', { maxMessageBytes: 0 }],
    ['heartbeat.timeoutMs 0', { heartbeat: { timeoutMs: 0 } }],
    ['random not a function', { random: 0.5 as never }],
    ['shouldReconnect not a function', { shouldReconnect: true as never }],
    ['token a number', { token: 42 as never }],
  ];
  it.each(bad)('option %s throws', (_name, options) => {
    invalidArgument(() => new Client(TEST_URL, { transport: new FakeServer().transport, autoConnect: false, ...options }));
  });

  it.each([
    ['reconnectionDelayMax', { reconnectionDelayMax: 1000 }, /unknown option reconnectionDelayMax; the options take backoff, maxRetries, .*autoConnect$/],
    ['backoff.max', { backoff: { max: 1000 } }, /unknown option backoff\.max; backoff take initialMs, maxMs, factor, jitter, spreadMs, fastMs$/],
    ['heartbeat.interval', { heartbeat: { interval: 1000 } }, /unknown option heartbeat\.interval;/],
    ['outbox.limit', { outbox: { limit: 10 } }, /unknown option outbox\.limit;/],
    ['heartbeat a number', { heartbeat: 5000 }, /heartbeat must be an object/],
  ])('unknown option %s throws, naming it and the keys there are', (_name, options, message) => {
    const error = invalidArgument(() => new Client(TEST_URL, { transport: new FakeServer().transport, autoConnect: false, ...(options as ClientOptions) }));
    expect(error.message).toMatch(message);
  });

  it('an unknown key set to undefined is ignored (spread option objects)', () => {
    expect(() => new Client(TEST_URL, { transport: new FakeServer().transport, autoConnect: false, ...({ legacy: undefined } as ClientOptions) })).not.toThrow();
  });

  it('ReconnectingWebSocket: unknown options throw too', () => {
    const transport = new FakeServer().transport;
    const error = invalidArgument(() => new ReconnectingWebSocket(TEST_URL, [], { transport, startClosed: true, ...({ maxReconnectionDelay: 1 } as object) }));
    expect(error.message).toMatch(/unknown option maxReconnectionDelay; the options take .*queue, heartbeat, startClosed$/);
    invalidArgument(() => new ReconnectingWebSocket(TEST_URL, [], { transport, startClosed: true, queue: { max: 1 } as object }));
    invalidArgument(() => new ReconnectingWebSocket(TEST_URL, [], null as never));
  });

  it('no transport and no WebSocket: throws with a message that says what to do', () => {
    const error = invalidArgument(() => new Client(TEST_URL, {}));
    expect(error.message).toMatch(/WebSocket/);
  });
});
