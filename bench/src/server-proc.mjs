// Child process: the server end of one stack. Driven over IPC by main.mjs.
//   node server-proc.mjs <server-stack> [port]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BLOCKED_POLL_MS, cpuMicros, nowNs, payloadOf, seqPayload, serveIpc, settledMemory, windowFor } from './common.mjs';
import { startServer } from './stacks.mjs';

const stack = process.argv[2];
const wantedPort = Number(process.argv[3] ?? 0);

// Event-loop lag from the very start (the reconnect storm restarts this process).
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();

let mode = { mode: 'idle', size: 'text64', burst: 128 };
let received = 0;
let firstAt = 0;
let pushed = 0;
let pushing = false;
let seq = 0;
const conns = new Set();
let payload = payloadOf('text64');

const server = await startServer(stack, {
  port: wantedPort,
  window: () => windowFor(mode.size),
  onConnection: (conn) => {
    conns.add(conn);
    conn.onClose(() => conns.delete(conn));
    switch (mode.mode) {
      case 'count':
        conn.onMessage(() => {
          received++;
        });
        break;
      case 'echo':
        conn.onMessage((data) => conn.send(data));
        break;
      case 'count-reply':
        // The browser phase: count, and once `n` messages arrived, tell the page when
        // the first and the last arrived: Date.now(), the system clock the page reads
        // too (performance.timeOrigin + performance.now() drifts from it by ms in a
        // long-lived process). Only two clock reads per run.
        conn.onMessage(() => {
          if (++received === 1) firstAt = Date.now();
          if (received === mode.n) {
            const lastAt = Date.now();
            conn.send(JSON.stringify({ count: received, firstAt, lastAt }));
          }
        });
        break;
      case 'push':
      case 'push-seq':
        if (pushing) schedulePush(conn);
        break;
      default:
        break;
    }
  },
});

/** Pushes `burst` messages per event-loop turn to `conn` while it is not backpressured. */
function schedulePush(conn) {
  if (conn.pumping) return;
  conn.pumping = true;
  const burst = mode.burst;
  const withSeq = mode.mode === 'push-seq';
  const step = () => {
    if (!pushing || !conns.has(conn)) {
      conn.pumping = false;
      return;
    }
    for (let i = 0; i < burst; i++) {
      if (conn.blocked()) {
        setTimeout(step, BLOCKED_POLL_MS);
        return;
      }
      conn.send(withSeq ? seqPayload(++seq) : payload);
      pushed++;
    }
    setImmediate(step);
  };
  setImmediate(step);
}

serveIpc({
  mode: (m) => {
    for (const conn of conns) conn.close();
    conns.clear();
    pushing = false;
    mode = { mode: m.mode, size: m.size ?? 'text64', burst: m.burst ?? 128, n: m.n ?? Infinity };
    payload = payloadOf(mode.size);
    received = 0;
    firstAt = 0;
    pushed = 0;
    seq = 0;
    return {};
  },
  'push-start': () => {
    pushing = true;
    for (const conn of conns) schedulePush(conn);
    return { connections: conns.size };
  },
  'push-stop': () => {
    pushing = false;
    return { pushed, seq };
  },
  mark: () => ({ t: String(nowNs()), received, pushed, cpu: cpuMicros() }),
  memory: async () => ({ ...(await settledMemory()), connections: server.connections() }),
  'lag-reset': () => {
    lag.reset();
    return {};
  },
  lag: () => ({
    p50Ms: lag.percentile(50) / 1e6,
    p99Ms: lag.percentile(99) / 1e6,
    maxMs: lag.max / 1e6,
    connections: server.connections(),
  }),
  // One message to every connection, timed from here to the clients' last receive.
  fanout: async (m) => {
    const data = payloadOf(m.size);
    if (m.channel) {
      if (!server.publish) throw new Error('this server has no channels');
      const t0 = performance.timeOrigin + performance.now();
      await server.publish(m.channel, data);
      return { t0, connections: conns.size };
    }
    const t0 = performance.timeOrigin + performance.now();
    for (const conn of conns) conn.send(data);
    return { t0, connections: conns.size };
  },
  exit: () => {
    setTimeout(() => process.exit(0), 20);
    return {};
  },
  close: async () => {
    pushing = false;
    await server.close();
    return {};
  },
});

process.send?.({ type: 'ready', port: server.port, pid: process.pid, options: server.options });
