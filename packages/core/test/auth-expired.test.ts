// 4401 (credentials missing or expired): with a static url and token the client
// cannot do better and stops with AUTH_EXPIRED; with a provider it asks again and
// reconnects, and stops with AUTH_EXPIRED if the provider returns the refused credential.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function refuse(server: ReturnType<typeof start>['server']) {
  const socket = await server.next();
  socket.accept();
  await flush();
  socket.closeFromServer(4401, 'token expired');
  await flush();
  return socket;
}

describe('4401', () => {
  it('a static url without a token provider → AUTH_EXPIRED, stopped', async () => {
    const { server, client, events } = start();
    await refuse(server);
    expect(events.errors.map((e) => e.code)).toEqual(['AUTH_EXPIRED']);
    expect(client.state).toBe('closed');
    expect(events.closes).toMatchObject([{ code: 4401, willReconnect: false }]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.sockets).toHaveLength(1);
  });

  it('a static token string → AUTH_EXPIRED, stopped', async () => {
    const { server, client, events } = start({ token: 'fixed' });
    await refuse(server);
    expect(events.errors.map((e) => e.code)).toEqual(['AUTH_EXPIRED']);
    expect(client.state).toBe('closed');
  });

  it('a token provider returning the refused token again → AUTH_EXPIRED after the second socket', async () => {
    const token = vi.fn(() => 'same');
    const { server, client, events } = start({ token });
    await refuse(server);
    expect(client.state).toBe('connecting');
    expect(events.closes).toMatchObject([{ code: 4401, willReconnect: true }]);
    expect(events.errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    const second = await server.next();
    second.accept();
    await flush();
    expect(token).toHaveBeenCalledTimes(2);
    expect(second.sent).toEqual([]); // the refused credential is not presented again
    expect(second.closedByClient !== undefined || second.terminated).toBe(true);
    expect(events.errors.map((e) => e.code)).toEqual(['AUTH_EXPIRED']);
    expect(client.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.sockets).toHaveLength(2);
  });

  it('a token provider returning a new token → the client continues', async () => {
    let n = 0;
    const { server, client, events } = start({ token: async () => `token-${++n}` });
    await refuse(server);
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    const second = await server.next();
    second.accept();
    await flush();
    expect(second.hello().auth).toBe('token-2');
    second.welcome();
    await flush();
    expect(client.state).toBe('open');
    expect(events.errors).toEqual([]);
  });

  it('4401 after a fresh token was accepted once is judged against the latest refusal only', async () => {
    const tokens = ['t1', 't2', 't2'];
    const { server, client, events } = start({ token: () => tokens.shift() ?? 't2' });
    await refuse(server); // t1 refused
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    await server.open(); // t2 accepted
    expect(client.state).toBe('open');
    server.sockets[1].closeFromServer(1006, '', false);
    await vi.advanceTimersByTimeAsync(events.retries.at(-1)!.delayMs);
    const third = await server.next();
    third.accept();
    await flush();
    expect(third.hello().auth).toBe('t2'); // t2 was never refused: presented again
  });

  it('a url provider returning the same url → AUTH_EXPIRED after the second socket; a new url continues', async () => {
    const same = start({}, () => 'ws://continuum.test/live?token=old');
    await refuse(same.server);
    await vi.advanceTimersByTimeAsync(same.events.retries[0].delayMs);
    const s2 = await same.server.next();
    s2.accept();
    await flush();
    expect(same.events.errors.map((e) => e.code)).toEqual(['AUTH_EXPIRED']);
    expect(same.client.state).toBe('closed');

    let n = 0;
    const fresh = start({}, () => `ws://continuum.test/live?token=${++n}`);
    await refuse(fresh.server);
    await vi.advanceTimersByTimeAsync(fresh.events.retries[0].delayMs);
    const f2 = await fresh.server.next();
    expect(f2.url).toBe('ws://continuum.test/live?token=2');
    f2.accept();
    await flush();
    expect(f2.hello()).toBeDefined();
    expect(fresh.client.state).toBe('connecting');
  });
});

describe('a token provider that fails or hangs', () => {
  it('rejects once → one retryable AUTH_EXPIRED, then a new attempt with the next token reaches open without closing', async () => {
    const token = vi.fn().mockRejectedValueOnce(new Error('down')).mockResolvedValue('t2');
    const { server, client, events } = start({ token });
    const first = await server.next();
    first.accept();
    await flush();
    expect(first.sent).toEqual([]); // no hello without a token
    expect(events.errors).toMatchObject([{ code: 'AUTH_EXPIRED', retryable: true }]);
    expect(events.retries).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    const second = await server.next();
    second.accept();
    await flush();
    expect(second.hello().auth).toBe('t2');
    second.welcome();
    await flush();
    expect(client.state).toBe('open');
    expect(events.errors).toHaveLength(1);
    expect(events.states.map((s) => s.state)).not.toContain('closed');
  });

  it('never resolves → the attempt ends with CONNECT_TIMEOUT and another attempt is made', async () => {
    const token = vi.fn(() => new Promise<string>(() => {}));
    const { server, client, events } = start({ token, connectTimeoutMs: 3000 });
    const first = await server.next();
    first.accept();
    await flush();
    expect(token).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(3000);
    expect(events.errors.map((e) => e.code)).toEqual(['CONNECT_TIMEOUT']);
    expect(first.terminated || first.closedByClient !== undefined).toBe(true);
    expect(client.state).toBe('connecting');
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    const second = await server.next();
    second.accept();
    await flush();
    expect(token).toHaveBeenCalledTimes(2);
  });
});
