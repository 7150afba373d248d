// One adapter per stack, for both ends: how to listen, connect, send, receive, and
// tell whether a sender must wait (backpressure). Loaded only by child processes,
// and each child loads only the libraries of its own stack.
import { createServer as createHttpServer } from 'node:http';
import { HIGH_WATER_BYTES } from './common.mjs';

/** Every stack, in report order. `server` names the server stack it talks to. */
export const STACKS = {
  ws: { label: 'raw ws', server: 'ws', client: 'ws' },
  'ws-corked': { label: 'corked ws (control)', server: 'ws-corked', client: 'ws-corked' },
  socketio: { label: 'socket.io', server: 'socketio', client: 'socketio' },
  rws: { label: 'reconnecting-websocket', server: 'ws', client: 'rws' },
  partysocket: { label: 'partysocket', server: 'ws', client: 'partysocket' },
  'continuum-rws': { label: 'Continuum ReconnectingWebSocket', server: 'ws', client: 'continuum-rws' },
  continuum: { label: 'Continuum Client ↔ server', server: 'continuum', client: 'continuum' },
};
/** permessage-deflate on, both ends (issue 11): not in the ratio targets, reported beside their deflate-off stacks. */
export const DEFLATE_STACKS = {
  'ws-deflate': { label: 'raw ws + permessage-deflate', server: 'ws-deflate', client: 'ws-deflate' },
  'continuum-deflate': { label: 'Continuum + permessage-deflate', server: 'continuum-deflate', client: 'continuum-deflate' },
};
export const ALL_STACKS = { ...STACKS, ...DEFLATE_STACKS };

/**
 * Continuum server options. The per-session rate limits (issue 11; 1000 messages/s and
 * 4 MiB/s by default) are a policy that a throughput benchmark must turn off; the storm
 * ('continuum-defaults') runs with every default. Options the server does not know yet
 * are dropped rather than failing the run.
 */
async function createContinuumServer(stack, port) {
  const { createServer } = await import('@continuum/server');
  const base = { port, host: '127.0.0.1' };
  const extra = {
    ...(stack !== 'continuum-defaults' && { limits: { messagesPerSecond: Infinity, bytesPerSecond: Infinity } }),
    ...(stack === 'continuum-deflate' && { perMessageDeflate: true }),
  };
  let options = { ...base, ...extra };
  for (;;) {
    try {
      return { server: await createServer(options), options };
    } catch (error) {
      const unknown = /unknown option "([^".]+)/.exec(String(error?.message));
      if (!unknown || !(unknown[1] in options) || unknown[1] in base) throw error;
      const { [unknown[1]]: _dropped, ...rest } = options;
      options = rest;
    }
  }
}

/** Sends of one event-loop turn written with one syscall: `cork()` now, `uncork()` at the end of the turn. */
function corker(socket) {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  return () => {
    if (corked) return;
    corked = true;
    socket.cork();
    process.nextTick(uncork);
  };
}

/** `send(data)` of a `ws` socket; `corked`: through a corker made now for its socket. */
function wsSend(ws, corked) {
  if (!corked) return (data) => ws.send(data);
  const cork = corker(ws._socket);
  return (data) => {
    cork();
    ws.send(data);
  };
}

// ---- servers ------------------------------------------------------------------------

/**
 * Starts the server of `stack` on 127.0.0.1. `onConnection(conn)` is called for every
 * client connection (for Continuum: every new session) with
 * `{ send(data), blocked(), onMessage(fn), onClose(fn), close() }`.
 * `options.window` bounds a Continuum session's unacknowledged messages while pushing.
 */
export async function startServer(stack, { port = 0, onConnection, window = () => 960 }) {
  switch (stack) {
    case 'ws':
    case 'ws-corked':
    case 'ws-deflate': {
      const { WebSocketServer } = await import('ws');
      const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: stack === 'ws-deflate' });
      await new Promise((resolve, reject) => {
        wss.once('listening', resolve);
        wss.once('error', reject);
      });
      wss.on('connection', (ws) => {
        ws.on('error', () => {});
        onConnection({
          send: wsSend(ws, stack === 'ws-corked'),
          blocked: () => ws.bufferedAmount > HIGH_WATER_BYTES,
          onMessage: (fn) => ws.on('message', (data, isBinary) => fn(isBinary ? data : data.toString())),
          onClose: (fn) => ws.on('close', fn),
          close: () => ws.terminate(),
        });
      });
      return {
        port: wss.address().port,
        connections: () => wss.clients.size,
        close: () => {
          for (const ws of wss.clients) ws.terminate();
          return new Promise((r) => wss.close(() => r()));
        },
      };
    }
    case 'socketio': {
      const { Server } = await import('socket.io');
      const http = createHttpServer();
      const io = new Server(http, { transports: ['websocket'], serveClient: false, maxHttpBufferSize: 64 * 1024 * 1024 });
      await new Promise((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, '127.0.0.1', resolve);
      });
      io.on('connection', (socket) => {
        const conn = socket.conn;
        onConnection({
          send: (data) => socket.emit('m', data),
          blocked: () => conn.writeBuffer.length > 1024 || (conn.transport?.socket?.bufferedAmount ?? 0) > HIGH_WATER_BYTES,
          onMessage: (fn) => socket.on('m', fn),
          onClose: (fn) => socket.on('disconnect', fn),
          close: () => socket.disconnect(true),
        });
      });
      return {
        port: http.address().port,
        connections: () => io.engine.clientsCount,
        close: async () => {
          io.disconnectSockets(true);
          await new Promise((r) => io.close(() => r()));
        },
      };
    }
    case 'continuum':
    case 'continuum-deflate':
    case 'continuum-defaults': {
      const { server, options } = await createContinuumServer(stack, port);
      server.on('session', (session) => {
        session.on('error', () => {});
        onConnection({
          send: (data) => session.send(data),
          blocked: () => session.pendingMessages >= window(),
          onMessage: (fn) => session.on('message', (data) => void fn(data)),
          onClose: (fn) => session.on('end', fn),
          close: () => session.close(),
          session,
        });
      });
      server.on('error', () => {});
      return {
        // Channels (encode-once publication fan-out), when this server has them.
        publish: typeof server.publish === 'function' ? (channel, data) => server.publish(channel, data) : undefined,
        port: server.port,
        options: { ...options, limits: options.limits && 'Infinity (off)' },
        connections: () => server.sessions.size,
        close: () => server.close({ timeoutMs: 200 }),
      };
    }
    default:
      throw new Error(`unknown server stack ${stack}`);
  }
}

// ---- clients ------------------------------------------------------------------------

/**
 * Connects one client of `stack` to `url` and resolves once it can send (for Continuum:
 * once the session's welcome arrived). `fast` sets reconnect delays to zero (resume
 * metric); `record(event)` is told of connection attempts ('attempt') and sessions
 * ('session'); `connectTimeoutMs` bounds the wait.
 * Resolves `{ send(data), blocked(), whenUnblocked(fn), close(), raw }`.
 */
export async function connectClient(stack, url, { onMessage, fast = false, record, connectTimeoutMs = 15_000, window = 960 }) {
  const opened = (subscribe) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${stack}: not open within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      subscribe(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  const pollUnblocked = (fn) => setTimeout(fn, 1);
  /** The handle of a ReconnectingWebSocket-like client (rws, partysocket, Continuum's drop-in). */
  const rwsHandle = (rws) => ({
    send: (data) => rws.send(data),
    blocked: () => rws.bufferedAmount > HIGH_WATER_BYTES,
    whenUnblocked: pollUnblocked,
    close: () => rws.close(),
  });

  switch (stack) {
    case 'ws':
    case 'ws-corked':
    case 'ws-deflate': {
      const { default: WebSocket } = await import('ws');
      const ws = new WebSocket(url, { perMessageDeflate: stack === 'ws-deflate' });
      ws.on('error', () => {});
      ws.on('message', (data, isBinary) => onMessage(isBinary ? data : data.toString()));
      await opened((done) => ws.once('open', done));
      return {
        send: wsSend(ws, stack === 'ws-corked'),
        blocked: () => ws.bufferedAmount > HIGH_WATER_BYTES,
        whenUnblocked: pollUnblocked,
        close: () => ws.terminate(),
      };
    }
    case 'socketio': {
      const { io } = await import('socket.io-client');
      const socket = io(url, {
        transports: ['websocket'],
        forceNew: true,
        // socket.io reads `reconnectionDelay || 1000`: 1 ms is its smallest delay.
        ...(fast && { reconnectionDelay: 1, reconnectionDelayMax: 1, randomizationFactor: 0 }),
      });
      socket.on('m', (data) => onMessage(data));
      if (record) socket.io.on('reconnect_attempt', () => record('attempt'));
      await opened((done) => socket.once('connect', done));
      const engine = socket.io.engine;
      return {
        send: (data) => socket.emit('m', data),
        blocked: () =>
          socket.io.engine.writeBuffer.length > 1024 || (socket.io.engine.transport?.ws?.bufferedAmount ?? 0) > HIGH_WATER_BYTES,
        whenUnblocked: pollUnblocked,
        close: () => socket.disconnect(),
        raw: { socket, engine },
      };
    }
    case 'rws':
    case 'partysocket': {
      const { default: WebSocket } = await import('ws');
      const Rws =
        stack === 'rws' ? (await import('reconnecting-websocket')).default : (await import('partysocket/ws')).default;
      const rws = new Rws(url, [], {
        WebSocket,
        ...(fast && { minReconnectionDelay: 0, maxReconnectionDelay: 0, connectionTimeout: 4000 }),
      });
      rws.binaryType = 'nodebuffer';
      rws.addEventListener('message', (event) => onMessage(event.data));
      rws.addEventListener('error', () => {});
      await opened((done) => rws.addEventListener('open', done, { once: true }));
      return rwsHandle(rws);
    }
    case 'continuum-rws': {
      const { ReconnectingWebSocket } = await import('@continuum/node');
      const rws = new ReconnectingWebSocket(url, [], fast ? { backoff: { spreadMs: 0, fastMs: 0, initialMs: 0 } } : {});
      rws.binaryType = 'nodebuffer';
      rws.onmessage = (event) => onMessage(event.data);
      rws.onerror = () => {};
      await opened((done) => rws.addEventListener('open', done, { once: true }));
      return rwsHandle(rws);
    }
    case 'continuum':
    case 'continuum-deflate': {
      const { Client, nodeTransport } = await import('@continuum/node');
      const deflate = stack === 'continuum-deflate';
      const base = nodeTransport({ perMessageDeflate: deflate });
      const client = new Client(url, {
        perMessageDeflate: deflate,
        ...(fast && { backoff: { spreadMs: 0, fastMs: 0, initialMs: 0 } }),
        // Counts connection attempts (reconnect storm) without changing the transport.
        ...(record && {
          transport: (u, protocols, handlers) => {
            record('attempt');
            return base(u, protocols, handlers);
          },
        }),
      });
      client.on('message', (data) => onMessage(data));
      client.on('error', () => {});
      if (record) {
        client.on('session', (event) => record('session', event));
        // When the attempt is due by the client's backoff policy (its intent), as opposed
        // to when its process got around to making it.
        client.on('retry', (event) => record('retry', event));
      }
      await opened((done) => client.once('open', done));
      // Backpressure for a resumable session: a bounded number of unacknowledged
      // send() promises. Acks are cumulative, so watching every 32nd promise suffices.
      let sent = 0;
      let acked = 0;
      let waiter;
      const onAck = (n) => {
        if (n > acked) acked = n;
        if (waiter && sent - acked < window) {
          const fn = waiter;
          waiter = undefined;
          fn();
        }
      };
      return {
        /** Subscribes to `channel` (when the client has channels) and resolves once the server confirmed. */
        subscribe:
          typeof client.subscribe === 'function'
            ? (channel) =>
                new Promise((resolve, reject) => {
                  const sub = client.subscribe(channel);
                  sub.on('publication', (data) => onMessage(data));
                  sub.once('subscribed', () => resolve(true));
                  sub.once('unsubscribed', (e) => reject(new Error(`subscription refused: ${e.code ?? ''} ${e.reason}`)));
                })
            : undefined,
        send: (data) => {
          const p = client.send(data);
          const n = ++sent;
          if ((n & 31) === 0) p.then(() => onAck(n), () => onAck(n));
        },
        blocked: () => sent - acked >= window,
        whenUnblocked: (fn) => {
          waiter = fn;
        },
        close: () => client.close(),
        raw: client,
      };
    }
    default:
      throw new Error(`unknown client stack ${stack}`);
  }
}
