import { parseRetryHint } from '@continuum/protocol';
import { afterEach, expect, test, vi } from 'vitest';
import { shutdownOnSignals, type GracefulShutdown, type LogFields } from '../src/index.js';
import { session, startServer } from './helpers/server.js';

const handles: GracefulShutdown[] = [];
afterEach(() => {
  for (const h of handles.splice(0)) h.dispose();
});

test('SIGTERM closes every client with 1012 and a retry hint, refuses new sockets, then runs onShutdown', async () => {
  const server = await startServer();
  const client = await session(server.url);
  const steps: string[] = [];
  const logged: string[] = [];
  const at = (fields: LogFields, message: string) => void logged.push(message);
  const handle = shutdownOnSignals(server, {
    exit: false,
    signals: ['SIGTERM'],
    onShutdown: (signal) => void steps.push(`onShutdown ${signal}`),
    logger: { debug: at, info: at, warn: at, error: at },
  });
  handles.push(handle);
  const listeners = process.listenerCount('SIGTERM');
  // Delivered to our listener like a real signal, without the default action.
  process.emit('SIGTERM', 'SIGTERM');
  expect(handle.shuttingDown).toBe(true);
  const { code, reason } = await client.closed;
  expect(code).toBe(1012);
  expect(parseRetryHint(reason)).toEqual({ minMs: 1000, maxMs: 5000 });
  await vi.waitFor(() => expect(steps).toEqual(['onShutdown SIGTERM']));
  expect(await fetch(`http://127.0.0.1:${server.port}/health`).catch(() => 'refused')).toBe('refused');
  expect(logged).toEqual(['graceful shutdown started', 'graceful shutdown done']);
  handle.dispose();
  expect(process.listenerCount('SIGTERM')).toBe(listeners - 1);
});

test('shutdown() without a signal runs once and passes the close options', async () => {
  const server = await startServer();
  const client = await session(server.url);
  const handle = shutdownOnSignals(server, { exit: false, signals: [], close: { code: 1001, reason: 'bye; retry=10-20' } });
  handles.push(handle);
  const first = handle.shutdown();
  expect(handle.shutdown()).toBe(first);
  await first;
  expect(await client.closed).toEqual({ code: 1001, reason: 'bye; retry=10-20' });
});

test('a failing onShutdown sets exit code 1 instead of throwing', async () => {
  const server = await startServer();
  const before = process.exitCode;
  const handle = shutdownOnSignals(server, {
    exit: false,
    signals: [],
    onShutdown: () => {
      throw new Error('db pool refused to close');
    },
  });
  handles.push(handle);
  await handle.shutdown();
  expect(process.exitCode).toBe(1);
  process.exitCode = before;
});

test('bad arguments are refused', () => {
  expect(() => shutdownOnSignals({} as never)).toThrow(TypeError);
  expect(() => shutdownOnSignals({ close: async () => {} }, { timeoutMs: -1 })).toThrow(RangeError);
});
