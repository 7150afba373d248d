// The handshake: the socket offers continuum.v1, hello is the first frame (with the
// credential from the token provider), and the client is not open before welcome.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('handshake: hello', () => {
  it('offers the continuum.v1 subprotocol first, then the extra ones', async () => {
    const { server } = start({ protocols: ['app.v2'] });
    const socket = await server.next();
    expect(socket.protocols).toEqual(['continuum.v1', 'app.v2']);
  });

  it('sends hello as the first frame, and nothing before the socket opened', async () => {
    const { server } = start();
    const socket = await server.next();
    await flush();
    expect(socket.sent).toHaveLength(0);
    socket.accept();
    await flush();
    expect(socket.frames()).toEqual([{ text: true, t: 'hello', v: 1 }]);
    expect(typeof socket.sent[0]).toBe('string');
  });

  it('carries the token from the token provider, asked again for every socket', async () => {
    let n = 0;
    const token = vi.fn(async () => `token-${++n}`);
    const { server } = start({ token, backoff: { maxMs: 100 } });
    const first = await server.next();
    first.accept();
    await flush();
    expect(first.hello()).toEqual({ t: 'hello', v: 1, auth: 'token-1' });
    first.welcome();
    await flush();
    first.closeFromServer(1006, '', false);
    await vi.advanceTimersByTimeAsync(100);
    const second = await server.next();
    expect(second).not.toBe(first);
    second.accept();
    await flush();
    expect(second.hello().auth).toBe('token-2');
    expect(token).toHaveBeenCalledTimes(2);
  });

  it('carries a static token string', async () => {
    const { server } = start({ token: 'secret' });
    const socket = await server.open();
    expect(socket.hello()).toEqual({ t: 'hello', v: 1, auth: 'secret' });
  });

  it("emits no 'open' and stays connecting until the welcome arrives", async () => {
    const { server, client, events } = start();
    const socket = await server.next();
    socket.accept();
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    expect(events.opens).toBe(0);
    expect(client.state).toBe('connecting');
    expect(events.states).toEqual([]);
    socket.welcome({ id: 'abc' });
    expect(events.opens).toBe(1);
    expect(client.state).toBe('open');
    expect(client.sessionIdentifier).toBe('abc');
    // the session event comes before open
    const order = events.log.map((e) => e.event).filter((e) => e === 'session' || e === 'open');
    expect(order).toEqual(['session', 'open']);
  });

  it('sends nothing but hello before the welcome, even when the app already sent', async () => {
    const { server, client } = start();
    void client.send('early');
    const socket = await server.next();
    socket.accept();
    await flush();
    expect(socket.frames().map((f) => (f.text ? f.t : f.kind))).toEqual(['hello']);
    socket.welcome();
    await flush();
    expect(socket.frames().map((f) => (f.text ? f.t : f.kind))).toEqual(['hello', 1]);
  });
});
