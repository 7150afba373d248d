// Shared test plumbing for the drop-in's behaviour tests: real `ws` servers on
// 127.0.0.1 port 0, event collectors, and teardown that always runs.
import net from 'node:net';
import { once } from 'node:events';
import { afterEach } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket, type ServerOptions } from 'ws';
import type { ReconnectingWebSocket, RwsEvent } from '@continuum/node';

/** Fast retries so reconnect tests take milliseconds. */
export const fastBackoff = { initialMs: 5, maxMs: 20, spreadMs: 5, fastMs: 5 };

type Cleanup = () => unknown | Promise<unknown>;
const cleanups: Cleanup[] = [];

/** Registers teardown that runs after the current test, pass or fail (last in, first out). */
export function defer(fn: Cleanup): void {
  cleanups.push(fn);
}

afterEach(async () => {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch {
      /* teardown must not mask the test's own failure */
    }
  }
});

/** Closes a drop-in after the test. */
export function track<T extends ReconnectingWebSocket>(ws: T): T {
  defer(() => ws.close());
  return ws;
}

export interface TestServer {
  wss: WebSocketServer;
  port: number;
  url: string;
  /** Every socket the server accepted, in order. */
  sockets: ServerSocket[];
  /** Every message the server received, text as string, binary as Buffer. */
  received: (string | Buffer)[];
  /** Resolves with the next accepted socket (or the n-th overall when `index` is given). */
  connection(index?: number): Promise<ServerSocket>;
  close(): Promise<void>;
}

/**
 * A plain `ws` server (no Continuum code). Records what it receives. `onMessage`
 * may answer; by default nothing is echoed.
 */
export async function startServer(
  options: {
    port?: number;
    onMessage?: (socket: ServerSocket, data: string | Buffer, isBinary: boolean) => void;
    handleProtocols?: ServerOptions['handleProtocols'];
  } = {},
): Promise<TestServer> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: options.port ?? 0,
    ...(options.handleProtocols && { handleProtocols: options.handleProtocols }),
  });
  await once(wss, 'listening');
  const port = (wss.address() as net.AddressInfo).port;
  const sockets: ServerSocket[] = [];
  const received: (string | Buffer)[] = [];
  const waiters: { index: number; resolve: (s: ServerSocket) => void }[] = [];
  wss.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('message', (raw, isBinary) => {
      const data = isBinary ? (raw as Buffer) : (raw as Buffer).toString('utf8');
      received.push(data);
      options.onMessage?.(socket, data, isBinary);
    });
    for (const w of waiters.filter((w) => w.index === sockets.length - 1)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(socket);
    }
  });
  const server: TestServer = {
    wss,
    port,
    url: `ws://127.0.0.1:${port}`,
    sockets,
    received,
    connection(index = sockets.length) {
      if (index < sockets.length) return Promise.resolve(sockets[index]);
      return new Promise((resolve) => waiters.push({ index, resolve }));
    },
    async close() {
      for (const s of wss.clients) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
  defer(() => server.close());
  return server;
}

/** A port on 127.0.0.1 that nothing listens on (bound, read, released). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Collects every event of the given types, in dispatch order. */
export function record(ws: ReconnectingWebSocket, types = ['open', 'message', 'close', 'error']) {
  const events: RwsEvent[] = [];
  for (const type of types) ws.addEventListener(type, (e) => events.push(e));
  return {
    events,
    of: (type: string) => events.filter((e) => e.type === type),
    count: (type: string) => events.filter((e) => e.type === type).length,
  };
}

/** Resolves with the next event of this type. */
export function nextEvent(ws: ReconnectingWebSocket, type: string): Promise<RwsEvent> {
  return new Promise((resolve) => {
    const listener = (e: RwsEvent) => {
      ws.removeEventListener(type, listener);
      resolve(e);
    };
    ws.addEventListener(type, listener);
  });
}

/** "Nothing happens within `ms`" is the assertion: the only place a plain wait is allowed. */
export function quietPeriod(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Counts what keeps the event loop alive, by type. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}
