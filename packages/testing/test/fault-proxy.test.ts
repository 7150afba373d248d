import { createHook } from 'node:async_hooks';
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { FaultProxy } from '../src/index.js';

// Teardown that always runs, in reverse order, even when an assertion failed.
const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // Let libuv's close phase release what the cleanups closed, so the next test starts clean.
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
});

interface EchoServer {
  wss: WebSocketServer;
  port: number;
  /** `req.url` of every upgrade, to check what path reached the server. */
  paths: string[];
  /** Messages the server received, to check nothing passed a blackhole. */
  received: string[];
  close(): Promise<void>;
}

async function startEcho(): Promise<EchoServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const paths: string[] = [];
  const received: string[] = [];
  wss.on('connection', (ws, req) => {
    paths.push(req.url ?? '');
    ws.on('message', (data) => {
      received.push(String(data));
      ws.send(String(data));
    });
  });
  let closed: Promise<void> | undefined;
  const server: EchoServer = {
    wss,
    port: (wss.address() as AddressInfo).port,
    paths,
    received,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      });
      return closed;
    },
  };
  cleanups.push(() => server.close());
  return server;
}

async function startProxy(target: string): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ target });
  cleanups.push(() => proxy.close());
  return proxy;
}

interface TestClient {
  ws: WebSocket;
  /** The client's own TCP socket, to tell a FIN ('end') from an RST ('error'). */
  socket: Socket;
  /** Resolves on the WebSocket's 'close' event, with its code. */
  closed: Promise<number>;
  next(): Promise<string>;
}

/** Connects a `ws` client and waits for it to open. */
async function open(url: string): Promise<TestClient> {
  const ws = new WebSocket(url);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  cleanups.push(() => {
    ws.terminate();
    return closed;
  });
  const socket = new Promise<Socket>((resolve) => ws.once('upgrade', (res) => resolve(res.socket as Socket)));
  await once(ws, 'open');
  return {
    ws,
    socket: await socket,
    closed,
    next: () => new Promise((resolve) => ws.once('message', (data) => resolve(String(data)))),
  };
}

/** Starts a connection that is expected to fail; resolves with the error ws reports. */
function failedConnect(url: string): Promise<Error & { code?: string }> {
  const ws = new WebSocket(url);
  cleanups.push(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('connection opened but should have failed')));
    ws.once('error', resolve);
  });
}

async function echo(client: TestClient, text: string): Promise<string> {
  const reply = client.next();
  client.ws.send(text);
  return reply;
}

describe('FaultProxy', () => {
  it('forwards an echo and keeps the target path and query in its url', async () => {
    const server = await startEcho();
    const proxy = await startProxy(`ws://127.0.0.1:${server.port}/live?room=a`);
    expect(proxy.url).toBe(`ws://127.0.0.1:${proxy.port}/live?room=a`);
    expect(proxy.target).toEqual({ host: '127.0.0.1', port: server.port });

    const client = await open(proxy.url);
    expect(await echo(client, 'hello')).toBe('hello');
    expect(server.paths).toEqual(['/live?room=a']);
    expect(proxy.connections).toBe(1);

    const stats = proxy.stats();
    expect(stats).toMatchObject({ accepted: 1, refused: 0, cuts: 0, resets: 0 });
    expect(stats.bytesUp).toBeGreaterThan(0);
    expect(stats.bytesDown).toBeGreaterThan(0);

    client.ws.close();
    await client.closed;
    await vi.waitFor(() => expect(proxy.connections).toBe(0));
  });

  it('cut() ends connections with a FIN and still accepts new ones', async () => {
    const server = await startEcho();
    const proxy = await startProxy(`ws://127.0.0.1:${server.port}`);
    const client = await open(proxy.url);
    const socketErrors: Error[] = [];
    client.socket.on('error', (error) => socketErrors.push(error));
    const fin = once(client.socket, 'end');

    proxy.cut();

    await fin;
    expect(await client.closed).toBe(1006); // no closing handshake, the link just ended
    expect(socketErrors).toEqual([]);
    expect(proxy.stats().cuts).toBe(1);
    expect(proxy.connections).toBe(0);

    const again = await open(proxy.url);
    expect(await echo(again, 'after cut')).toBe('after cut');
    expect(proxy.stats().accepted).toBe(2);
  });

  it('reset() aborts connections with an RST on both sides', async () => {
    const server = await startEcho();
    const proxy = await startProxy(`ws://127.0.0.1:${server.port}`);
    const client = await open(proxy.url);
    // ws swallows socket errors after the handshake, so the RST is read from the socket itself.
    const rst = once(client.socket, 'error') as Promise<[NodeJS.ErrnoException]>;

    proxy.reset();

    const [error] = await rst;

    expect(error.code).toBe('ECONNRESET');
    expect(await client.closed).toBe(1006);
    await vi.waitFor(() => expect(server.wss.clients.size).toBe(0));
    expect(proxy.stats().resets).toBe(1);
    expect(proxy.connections).toBe(0);
  });

  it('blackhole() swallows bytes without closing anything, on old and new connections, until restore()', async () => {
    const server = await startEcho();
    const proxy = await startProxy(`ws://127.0.0.1:${server.port}`);
    const client = await open(proxy.url);
    const before = proxy.stats();

    proxy.blackhole();
    const events: string[] = [];
    client.ws.on('message', () => events.push('message'));
    client.ws.on('close', () => events.push('close'));
    client.socket.on('end', () => events.push('fin'));
    client.socket.on('error', () => events.push('error'));
    client.ws.send('into the void');
    const late = new WebSocket(proxy.url);
    cleanups.push(() => late.terminate());
    late.on('open', () => events.push('late open'));
    late.on('error', () => events.push('late error'));

    // The one timed wait: silence is the behaviour under test.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(events).toEqual([]);
    expect(server.received).toEqual([]);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect(proxy.connections).toBe(2);
    const during = proxy.stats();
    expect(during.bytesUp).toBe(before.bytesUp);
    expect(during.bytesDown).toBe(before.bytesDown);

    proxy.restore();
    const fresh = await open(proxy.url);
    expect(await echo(fresh, 'back')).toBe('back');
  });

  it('blackhole() hides a side that aborts, and restore() resets the survivor', async () => {
    const server = await startEcho();
    const proxy = await startProxy(`ws://127.0.0.1:${server.port}`);
    const client = await open(proxy.url);
    await vi.waitFor(() => expect(server.wss.clients.size).toBe(1));
    const [serverSide] = server.wss.clients;
    const serverClosed = once(serverSide!, 'close');

    proxy.blackhole();
    client.ws.terminate(); // the client gives up on the silent link
    await client.closed;
    expect(serverSide!.readyState).toBe(WebSocket.OPEN); // the server cannot know yet
    expect(proxy.connections).toBe(1);

    proxy.restore();
    await serverClosed;
    await vi.waitFor(() => expect(proxy.connections).toBe(0));
  });

  it('delay(ms) delays every chunk in both directions and keeps their order', async () => {
    const server = await startEcho();
    const proxy = await startProxy(`ws://127.0.0.1:${server.port}`);
    const client = await open(proxy.url);

    proxy.delay(100);
    const replies: string[] = [];
    const three = new Promise<void>((resolve) =>
      client.ws.on('message', (data) => replies.push(String(data)) === 3 && resolve()),
    );
    const started = performance.now();
    for (const text of ['a', 'b', 'c']) client.ws.send(text);
    await three;
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    expect(replies).toEqual(['a', 'b', 'c']);

    proxy.restore();
    expect(await echo(client, 'fast again')).toBe('fast again');
  });

  it('refuse() fails new connections like a server that is down, and restore() lets them in', async () => {
    const server = await startEcho();
    const proxy = await startProxy(`ws://127.0.0.1:${server.port}`);
    const existing = await open(proxy.url);

    proxy.refuse();
    const error = await failedConnect(proxy.url);
    expect(error.code).toBe('ECONNRESET');
    expect(server.paths).toHaveLength(1); // the target never saw the refused one
    expect(await echo(existing, 'still here')).toBe('still here');
    expect(proxy.stats()).toMatchObject({ accepted: 1, refused: 1 });

    proxy.restore();
    const later = await open(proxy.url);
    expect(await echo(later, 'up')).toBe('up');
    expect(proxy.stats()).toMatchObject({ accepted: 2, refused: 1 });
  });

  it('resets the client when the target is down, without an uncaught error', async () => {
    const server = await startEcho();
    const proxy = await startProxy(`ws://127.0.0.1:${server.port}`);
    await server.close();

    const error = await failedConnect(proxy.url);
    expect(error.code).toBe('ECONNRESET');
    await vi.waitFor(() => expect(proxy.connections).toBe(0));
  });

  it('setTarget() sends new connections to a restarted server', async () => {
    const first = await startEcho();
    const proxy = await startProxy(`ws://127.0.0.1:${first.port}/v1`);
    const old = await open(proxy.url);
    await first.close();
    await old.closed;

    const second = await startEcho();
    proxy.setTarget(`ws://127.0.0.1:${second.port}/v2`);
    expect(proxy.target).toEqual({ host: '127.0.0.1', port: second.port });
    expect(proxy.url).toBe(`ws://127.0.0.1:${proxy.port}/v2`);
    const client = await open(proxy.url);
    expect(await echo(client, 'moved')).toBe('moved');
    expect(second.paths).toEqual(['/v2']);
  });

  it('close() leaves no socket, listener or timer behind and is idempotent', async () => {
    const server = await startEcho();
    const before = activeResources();
    const proxyTimers = watchTimersFrom('testing/src/fault-proxy');

    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
    expect(proxy.url).toBe(`ws://127.0.0.1:${proxy.port}`);
    const client = await open(proxy.url);
    proxy.delay(10_000);
    client.ws.send('held by a delay timer');
    await vi.waitFor(() => expect(proxyTimers.live()).toBe(1)); // the message waits in the delay queue
    expect(activeResources()).not.toEqual(before);

    const closing = proxy.close();
    expect(proxy.close()).toBe(closing);
    await closing;
    await client.closed;
    await vi.waitFor(() => expect(server.wss.clients.size).toBe(0));
    await proxy.close();

    // Sockets finish closing on their own turn; under load that can take a few.
    await vi.waitFor(() => expect(activeResources()).toEqual(before), { timeout: 10_000 });
    expect(proxyTimers.live()).toBe(0);
    proxyTimers.stop();
    expect(proxy.connections).toBe(0);
    expect(proxy.stats()).toMatchObject({ accepted: 1, refused: 0, cuts: 0, resets: 0 });
    await expect(failedConnect(proxy.url)).resolves.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects bad options as programmer errors', async () => {
    await expect(FaultProxy.start({ target: 'http://127.0.0.1:1' })).rejects.toThrow(TypeError);
    await expect(FaultProxy.start({ target: { host: '127.0.0.1', port: 0 } })).rejects.toThrow(RangeError);
    const proxy = await startProxy('ws://127.0.0.1:1');
    expect(() => proxy.delay(-1)).toThrow(RangeError);
  });
});

/**
 * Counts of the handles and requests that keep the event loop alive, minus the
 * test runner's own (its TTY and IPC pipe) and timers: the runner keeps timers of its
 * own (RPC deadlines to the main process, more of them under load), so the proxy's
 * timers are watched by `watchTimersFrom` instead.
 */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) {
    if (name === 'TTYWrap' || name === 'PipeWrap' || name === 'FSReqCallback' || name === 'Timeout') continue;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/**
 * Timers created by code in a file whose path contains `file`, counted until they fire
 * or are cleared (async_hooks reports both as `destroy`).
 */
function watchTimersFrom(file: string): { live(): number; stop(): void } {
  const live = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout' && new Error().stack?.includes(file)) live.add(id);
    },
    destroy(id) {
      live.delete(id);
    },
  }).enable();
  cleanups.push(() => void hook.disable());
  return { live: () => live.size, stop: () => void hook.disable() };
}
