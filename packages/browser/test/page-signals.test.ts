// The browser adapter turns page signals into hints for the core: `online` skips the
// backoff wait, `offline` probes an open link (and never starts an attempt while
// reconnecting), and the listeners follow the client's life: removed by close() or
// when the client stops by itself, back with connect()/reconnect().
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { Client } from '@continuum/browser';
import { FakeServer, flush } from '../../core/test/helpers/fake-server.js';

let page: EventTarget;
let listening: Map<string, number>;

beforeEach(() => {
  vi.useFakeTimers();
  // A window: an EventTarget whose listener count per type the tests can read.
  page = new EventTarget();
  listening = new Map();
  vi.stubGlobal('addEventListener', (type: string, fn: EventListener) => {
    listening.set(type, (listening.get(type) ?? 0) + 1);
    page.addEventListener(type, fn);
  });
  vi.stubGlobal('removeEventListener', (type: string, fn: EventListener) => {
    listening.set(type, (listening.get(type) ?? 0) - 1);
    page.removeEventListener(type, fn);
  });
  vi.stubGlobal('document', { visibilityState: 'visible' });
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

/** A browser client whose first delay after a server-side loss is 0.99 × 5 s. */
function start() {
  const server = new FakeServer();
  const client = new Client('ws://continuum.test/live', { transport: server.transport, random: () => 0.99 });
  return { server, client };
}

async function lose(server: FakeServer) {
  server.last.closeFromServer(1006, '', false);
  await flush();
}

describe('online / offline', () => {
  it('`online` starts the next attempt at once, whatever the backoff step', async () => {
    const { server, client } = start();
    await server.open();
    await lose(server);
    expect(client.state).toBe('reconnecting');
    expect(server.sockets).toHaveLength(1);
    page.dispatchEvent(new Event('online'));
    await flush();
    expect(server.sockets).toHaveLength(2);
    await client.close();
  });

  it('`offline` while reconnecting starts no attempt (it could only fail)', async () => {
    const { server, client } = start();
    await server.open();
    await lose(server);
    page.dispatchEvent(new Event('offline'));
    await flush();
    expect(server.sockets).toHaveLength(1);
    // The scheduled retry still runs at its time.
    await vi.advanceTimersByTimeAsync(5000);
    expect(server.sockets).toHaveLength(2);
    await client.close();
  });

  it('`offline` while open probes the link: a ping now, dead if nothing answers', async () => {
    const { server, client } = start();
    const socket = await server.open({ pingMs: 60_000 });
    await vi.advanceTimersByTimeAsync(10); // the welcome is older than the probe
    page.dispatchEvent(new Event('offline'));
    await flush();
    expect(socket.controls().map((c) => c.t)).toContain('ping');
    await vi.advanceTimersByTimeAsync(3000);
    expect(client.state).toBe('reconnecting');
    await client.close();
  });

  it('`visibilitychange` to visible probes an open link', async () => {
    const { server, client } = start();
    const socket = await server.open({ pingMs: 60_000 });
    page.dispatchEvent(new Event('visibilitychange'));
    await flush();
    expect(socket.controls().map((c) => c.t)).toContain('ping');
    socket.control({ t: 'pong' });
    await vi.advanceTimersByTimeAsync(3000);
    expect(client.state).toBe('open');
    await client.close();
  });
});

describe('listeners follow the client', () => {
  it('close() removes every page listener; reconnect() puts them back once', async () => {
    const { server, client } = start();
    await server.open();
    const attached = [...listening.values()].reduce((a, b) => a + b, 0);
    expect(attached).toBe(4);
    await client.close();
    expect([...listening.values()].every((n) => n === 0)).toBe(true);

    client.reconnect();
    client.reconnect(); // twice: still one set of listeners
    expect([...listening.values()].reduce((a, b) => a + b, 0)).toBe(4);
    await server.open();
    await lose(server);
    const before = server.sockets.length;
    page.dispatchEvent(new Event('online'));
    await flush();
    expect(server.sockets.length).toBe(before + 1);
    await client.close();
  });

  it('a client that stops by itself (terminal close code) removes its page listeners too', async () => {
    const { server, client } = start();
    await server.open();
    expect([...listening.values()].reduce((a, b) => a + b, 0)).toBe(4);
    server.last.closeFromServer(4403, 'forbidden');
    await flush();
    expect(client.state).toBe('closed');
    expect([...listening.values()].every((n) => n === 0)).toBe(true);
    client.reconnect();
    expect([...listening.values()].reduce((a, b) => a + b, 0)).toBe(4);
    await client.close();
  });

  it('5 automatic reconnects leave exactly one listener per page signal', async () => {
    const { server, client } = start();
    onTestFinished(() => client.close());
    const delays: number[] = [];
    client.on('retry', ({ delayMs }) => delays.push(delayMs));
    await server.open();
    for (let i = 0; i < 5; i++) {
      await lose(server);
      expect(client.state).toBe('reconnecting');
      await vi.advanceTimersByTimeAsync(delays.at(-1)!);
      await server.open({ resumed: true });
      expect(client.state).toBe('open');
    }
    expect(server.sockets).toHaveLength(6);
    expect(Object.fromEntries(listening)).toEqual({ online: 1, offline: 1, visibilitychange: 1, pageshow: 1 });
    expect([...listening.values()].reduce((a, b) => a + b, 0)).toBe(4);
  });

  it('close() with an invalid code throws synchronously, like the core client', () => {
    const { client } = start();
    expect(() => client.close(1006)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    void client.close();
  });
});

