// What a server close code makes the client do (README "Close-code policy"), and the
// shouldReconnect override.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const stopCodes: [number, string | undefined][] = [
  [1000, undefined],
  [1008, 'REJECTED_BY_SERVER'],
  [4403, 'AUTH_FORBIDDEN'],
  [4409, undefined],
  [1002, 'PROTOCOL_ERROR'],
  [1003, 'PROTOCOL_ERROR'],
  [4400, 'HANDSHAKE_REFUSED'], // unsupported version (PROTOCOL.md §16)
  [4450, undefined], // band 4400–4499: stop
  [4600, undefined], // band 4500–4999: stop
];

const reconnectCodes = [1001, 1005, 1006, 1011, 1012, 1013, 1014, 4002, 4008, 4408, 4429, 4000, 4399, 3000];

describe('close-code policy', () => {
  it.each(stopCodes)('%i stops: state closed, close willReconnect false, no retry', async (code, errorCode) => {
    const { server, client, events } = start();
    const socket = await server.open();
    const pending = track(client.send('x'));
    await flush();
    socket.closeFromServer(code, 'bye');
    await flush();
    expect(client.state).toBe('closed');
    expect(events.closes).toEqual([{ code, reason: 'bye', wasClean: true, willReconnect: false }]);
    if (errorCode) expect(events.errors.map((e) => e.code)).toEqual([errorCode]);
    else expect(events.errors.map((e) => e.code)).not.toContain('RECONNECT_EXHAUSTED');
    expect(events.retries).toEqual([]);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.sockets).toHaveLength(1);
    // nothing accepted disappears without a trace
    expect(pending.status).toBe('rejected');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('4403 reports AUTH_FORBIDDEN', async () => {
    const { server, events } = start();
    const socket = await server.next();
    socket.accept();
    await flush();
    socket.closeFromServer(4403, 'forbidden');
    expect(events.errors).toMatchObject([{ code: 'AUTH_FORBIDDEN', retryable: false }]);
  });

  it.each(reconnectCodes)('%i reconnects: close willReconnect true, a retry, then a new socket', async (code) => {
    const { server, client, events } = start();
    const socket = await server.open();
    socket.closeFromServer(code, '', code !== 1006);
    expect(events.closes).toMatchObject([{ code, willReconnect: true }]);
    expect(client.state).toBe('reconnecting');
    expect(events.retries).toHaveLength(1);
    expect(events.retries[0].attempt).toBe(1);
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    expect(server.sockets).toHaveLength(2);
  });

  it('1013 (try again later) slows down: even the lowest random draw waits seconds', async () => {
    const low = start({ random: () => 0 });
    (await low.server.open()).closeFromServer(1013, '', true);
    const spread = start({ random: () => 0 });
    (await spread.server.open()).closeFromServer(1006, '', false);
    expect(spread.events.retries[0].delayMs).toBe(0);
    expect(low.events.retries[0].delayMs).toBeGreaterThanOrEqual(4000);
  });

  describe('shouldReconnect', () => {
    it('false stops on a code that would reconnect', async () => {
      const shouldReconnect = vi.fn(() => false);
      const { server, client, events } = start({ shouldReconnect });
      const socket = await server.open();
      socket.closeFromServer(1006, 'gone', false);
      expect(shouldReconnect).toHaveBeenCalledWith({ code: 1006, reason: 'gone', wasClean: false });
      expect(client.state).toBe('closed');
      expect(events.closes).toMatchObject([{ willReconnect: false }]);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(server.sockets).toHaveLength(1);
    });

    it('true reconnects on a code that would stop', async () => {
      const { server, client, events } = start({ shouldReconnect: () => true });
      const socket = await server.open();
      socket.closeFromServer(1000, 'done');
      expect(client.state).toBe('reconnecting');
      expect(events.closes).toMatchObject([{ code: 1000, willReconnect: true }]);
      await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
      expect(server.sockets).toHaveLength(2);
    });

    it('undefined keeps the default for that code', async () => {
      const { server, client } = start({ shouldReconnect: () => undefined });
      const a = await server.open();
      a.closeFromServer(4403);
      expect(client.state).toBe('closed');
      const other = start({ shouldReconnect: () => undefined });
      const b = await other.server.open();
      b.closeFromServer(1006, '', false);
      expect(other.client.state).toBe('reconnecting');
    });
  });
});
