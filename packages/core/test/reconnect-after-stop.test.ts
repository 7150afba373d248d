// reconnect() leaves `closed`, whatever closed the client: retries ran out
// (partykit #252), a terminal close code, or the app's own close(). The client
// that comes back works fully: its timers (retry, ack) run again.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { failEverySocket, flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('reconnect() from closed', () => {
  it('after retries ran out: connects again, and reconnects again after a later drop', async () => {
    const { server, client, events } = start({ maxRetries: 1, backoff: { maxMs: 100 } });
    await failEverySocket(server, 1000, 10);
    expect(client.state).toBe('closed');
    const before = server.sockets.length;
    client.reconnect();
    await flush();
    expect(server.sockets).toHaveLength(before + 1);
    expect(client.state).toBe('connecting');
    const socket = server.sockets.at(-1)!;
    socket.accept();
    await flush();
    socket.welcome();
    await flush();
    expect(client.state).toBe('open');
    socket.closeFromServer(1006, '', false);
    expect(client.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(events.retries.at(-1)!.delayMs);
    expect(server.sockets).toHaveLength(before + 2);
  });

  it('after a terminal close code (4409): connects again', async () => {
    const { server, client } = start();
    (await server.open()).closeFromServer(4409, 'replaced');
    expect(client.state).toBe('closed');
    client.reconnect();
    await server.open();
    expect(client.state).toBe('open');
  });

  it('after close(): connects again with a fresh session', async () => {
    const { server, client } = start();
    await server.open();
    await client.close();
    client.reconnect();
    const socket = await server.next();
    socket.accept();
    await flush();
    expect(socket.hello().resume).toBeUndefined();
    socket.welcome({ id: 'again' });
    await flush();
    expect(client.state).toBe('open');
  });

  it('after close(): acks are sent again on the 25 ms timer', async () => {
    const { server, client } = start();
    await server.open();
    await client.close();
    client.reconnect();
    const socket = await server.open();
    socket.data(1, 0, ['m']);
    await vi.advanceTimersByTimeAsync(25);
    expect(socket.acks()).toEqual([1]);
  });

  it('after close(): a later drop is retried', async () => {
    const { server, client, events } = start();
    await server.open();
    await client.close();
    client.reconnect();
    const socket = await server.open();
    socket.closeFromServer(1006, '', false);
    expect(events.retries).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    expect(server.sockets).toHaveLength(3);
  });

  it('after close(): the heartbeat watchdog still works', async () => {
    const { server, client, events } = start({ heartbeat: { timeoutMs: 100 } });
    await server.open({ pingMs: 100 });
    await client.close();
    client.reconnect();
    await server.open({ pingMs: 100 });
    await vi.advanceTimersByTimeAsync(200);
    expect(events.errors.map((e) => e.code)).toContain('HEARTBEAT_TIMEOUT');
  });
});
