// backoff.maxMs caps every delay, whatever the cause: a server-side loss, repeated
// failures, 1013, a retry hint, a heartbeat timeout.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { failEverySocket, flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const almostOne = () => 0.999;

describe('backoff.maxMs: 250 caps every delay', () => {
  it.each([
    ['1006', 1006, ''],
    ['1013 try again later', 1013, ''],
    ['a retry hint of 2000-8000', 1012, 'retry=2000-8000'],
    ['4429 with a hint', 4429, 'retry=60000'],
  ])('%s', async (_name, code, reason) => {
    const { server, events } = start({ backoff: { maxMs: 250 }, random: almostOne });
    const socket = await server.open();
    socket.closeFromServer(code, reason);
    expect(events.retries[0].delayMs).toBeLessThanOrEqual(250);
    await vi.advanceTimersByTimeAsync(250);
    expect(server.sockets).toHaveLength(2);
  });

  it('repeated failed attempts', async () => {
    const { server, events } = start({ backoff: { maxMs: 250 }, random: almostOne });
    await failEverySocket(server, 3000, 10);
    expect(events.retries.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...events.retries.map((r) => r.delayMs))).toBeLessThanOrEqual(250);
  });

  it('a heartbeat timeout', async () => {
    const { server, events } = start({ backoff: { maxMs: 250, fastMs: 5000 }, random: almostOne, heartbeat: { timeoutMs: 100 } });
    await server.open({ pingMs: 100 });
    await vi.advanceTimersByTimeAsync(200);
    expect(events.errors.map((e) => e.code)).toContain('HEARTBEAT_TIMEOUT');
    expect(events.retries[0].delayMs).toBeLessThanOrEqual(250);
    await vi.advanceTimersByTimeAsync(250);
    await flush();
    expect(server.sockets).toHaveLength(2);
  });
});
