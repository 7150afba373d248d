// Interop with a server we did not write: Python `websockets` (Debian's
// python3-websockets, run with Debian's /usr/bin/python3). The drop-in exchanges
// text and binary, survives the server being killed and restarted on the same port,
// and detects a blackholed link through the fault proxy with a raw heartbeat.
// A missing Python or package FAILS this suite: interop that silently skips proves nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, test, vi } from 'vitest';
import { FaultProxy } from '@continuum/testing';
import { ReconnectingWebSocket } from '@continuum/node';
import { defer, fastBackoff, nextEvent, record, track } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const SERVER = fileURLToPath(new URL('./fixtures/echo_server.py', import.meta.url));

interface PythonServer {
  port: number;
  url: string;
  child: ChildProcess;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

/** Starts the echo server; resolves once it printed its port. */
async function startPython(port = 0): Promise<PythonServer> {
  const child = spawn(PYTHON, ['-u', SERVER, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  defer(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`echo_server.py printed no port within 10 s. stderr:\n${stderr}`)), 10_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`echo_server.py exited (${code ?? signal}) before printing its port. stderr:\n${stderr}`));
    });
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
  const chosen = Number(line.trim());
  if (!Number.isInteger(chosen) || chosen <= 0) throw new Error(`echo_server.py printed ${JSON.stringify(line)}, not a port`);
  return {
    port: chosen,
    url: `ws://127.0.0.1:${chosen}`,
    child,
    kill: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Sends one message and resolves with the next message dispatched. */
function roundTrip(ws: ReconnectingWebSocket, data: string | Uint8Array | ArrayBuffer): Promise<unknown> {
  const reply = nextEvent(ws, 'message').then((e) => e.data);
  ws.send(data);
  return reply;
}

let probed: string | undefined;
/**
 * Called first in every test (not in beforeAll, whose failure reports the tests as
 * skipped): without Python's websockets each test FAILS with this message.
 */
function requirePythonWebsockets(): void {
  if (probed) return;
  const probe = spawnSync(PYTHON, ['-c', 'import websockets; print(websockets.__version__)'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `Python interop needs Debian's python3-websockets under ${PYTHON} ` +
        `(apt-get install -y python3-websockets). Probe failed: ${probe.error?.message ?? probe.stderr.trim()}`,
    );
  }
  probed = probe.stdout.trim();
}

describe('interop: Python websockets echo server', () => {
  test('text and binary echo, then the server is SIGKILLed and restarted on the same port', async () => {
    requirePythonWebsockets();
    const first = await startPython();
    const ws = track(new ReconnectingWebSocket(first.url, [], { backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');

    expect(await roundTrip(ws, 'héllo from node')).toBe('héllo from node');
    const echoed = await roundTrip(ws, new Uint8Array([0, 1, 2, 253, 254, 255]));
    expect(Buffer.isBuffer(echoed)).toBe(true);
    expect([...(echoed as Buffer)]).toEqual([0, 1, 2, 253, 254, 255]);

    const dropped = nextEvent(ws, 'close');
    await first.kill();
    const close = await dropped;
    expect(close.code).toBe(1006);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CONNECTING);
    // Precondition: the client really failed against the dead port before the restart.
    await vi.waitFor(() => expect(log.count('close')).toBeGreaterThanOrEqual(2));

    ws.send('queued while the server was down');
    const second = await startPython(first.port);
    expect(second.port).toBe(first.port);
    const queuedEcho = nextEvent(ws, 'message');
    await nextEvent(ws, 'open');
    expect((await queuedEcho).data).toBe('queued while the server was down');

    const echoedAgain = await roundTrip(ws, new Uint8Array([42, 43]).buffer);
    expect([...(echoedAgain as Buffer)]).toEqual([42, 43]);
    expect(await roundTrip(ws, 'after restart')).toBe('after restart');
    expect(log.count('open')).toBe(2);
  });

  test('a blackholed link is detected by the raw heartbeat (the echoed ping counts as life) and the client recovers', async () => {
    requirePythonWebsockets();
    const python = await startPython();
    const proxy = await FaultProxy.start({ target: python.url });
    defer(() => proxy.close());
    const heartbeat = { intervalMs: 100, timeoutMs: 200, message: 'ping' };
    const ws = track(new ReconnectingWebSocket(proxy.url, [], { heartbeat, connectTimeoutMs: 300, backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    // The Python server answers app messages only by echoing them: the echoed
    // 'ping' is the sign of life, and several periods pass without a drop.
    await vi.waitFor(() => expect(log.of('message').filter((e) => e.data === 'ping').length).toBeGreaterThanOrEqual(4), { timeout: 3000 });
    expect(log.count('close')).toBe(0);

    proxy.blackhole();
    const since = Date.now();
    await vi.waitFor(() => expect(log.count('close')).toBe(1), { timeout: 3000 });
    expect(Date.now() - since).toBeLessThanOrEqual(heartbeat.intervalMs + heartbeat.timeoutMs + 200);
    expect(log.of('error').map((e) => e.error?.code)).toContain('HEARTBEAT_TIMEOUT');
    // Precondition: the Python server is alive; only the link died.
    expect(python.child.exitCode).toBeNull();

    proxy.restore();
    await vi.waitFor(() => expect(log.count('open')).toBe(2), { timeout: 5000 });
    expect(await roundTrip(ws, 'after heal')).toBe('after heal');
  });
});
