// After close() nothing of the client keeps the process alive: no socket, no timer
// (partykit #402: leaked reconnect timers kept processes running).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { activeResources, defer, fastBackoff, freePort, nextEvent, track } from './helpers.js';

// What a client can hold: sockets, connects, DNS look-ups, timers, immediates.
const KINDS = ['TCPSocketWrap', 'TCPWrap', 'TCPConnectWrap', 'GetAddrInfoReqWrap', 'Timeout', 'Immediate'];

function clientResources(): Record<string, number> {
  const all = activeResources();
  return Object.fromEntries(KINDS.map((k) => [k, all[k] ?? 0]));
}

/** An echo server in another process, so its own sockets are not counted here. */
async function childServer(): Promise<string> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fixtures/ws-echo-server.mjs', import.meta.url)), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  defer(() => {
    child.kill('SIGKILL');
  });
  const first = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`ws-echo-server exited early (${code})`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return `ws://127.0.0.1:${Number(first)}`;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Polls `check` until it holds or `timeoutMs` passed. Not `vi.waitFor`: its own
 * interval and timeout timers would be counted. Each check runs from a timer that
 * has already fired, so nothing of the poll itself is active then.
 */
async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/**
 * The baseline: waits until no socket or timer is left from an earlier test (this
 * file runs no server in-process), so counts here are the client's own.
 */
async function baseline(): Promise<Record<string, number>> {
  const idle = () => {
    const r = clientResources();
    return r.TCPSocketWrap + r.TCPConnectWrap + r.Timeout === 0;
  };
  await until(idle, 5000);
  expect(clientResources()).toMatchObject({ TCPSocketWrap: 0, TCPConnectWrap: 0, Timeout: 0 });
  return clientResources();
}

/**
 * Takes the baseline, then opens a client with a heartbeat to a child echo server and
 * waits for the echo of one message.
 */
async function openWithHeartbeat(): Promise<{ ws: ReconnectingWebSocket; before: Record<string, number> }> {
  const url = await childServer();
  const before = await baseline();
  const ws = track(
    new ReconnectingWebSocket(url, [], {
      backoff: fastBackoff,
      heartbeat: { intervalMs: 100, timeoutMs: 200, message: 'ping' },
    }),
  );
  await nextEvent(ws, 'open');
  ws.send('hello');
  await nextEvent(ws, 'message');
  return { ws, before };
}

describe('close() leaves no active handles', () => {
  test('after the close event of an open socket with a heartbeat (and a tick)', async () => {
    const { ws, before } = await openWithHeartbeat();
    // Precondition: the client really holds a socket and timers while open.
    const during = clientResources();
    expect(during.TCPSocketWrap).toBeGreaterThan(before.TCPSocketWrap);
    expect(during.Timeout).toBeGreaterThan(before.Timeout);

    const closed = nextEvent(ws, 'close');
    ws.close();
    await closed;
    await tick();
    expect(clientResources()).toEqual(before);
  });

  test('an open socket is fully released soon after close() (no leak, even if the event came early)', async () => {
    const { ws, before } = await openWithHeartbeat();
    ws.close();
    await until(() => JSON.stringify(clientResources()) === JSON.stringify(before), 1000);
    expect(clientResources()).toEqual(before);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });

  test('while waiting to retry against a server that is down', async () => {
    const port = await freePort();
    const before = await baseline();
    // The first retry after a refused connection waits ~990 ms (spread window 1 s, random 0.99).
    const ws = track(
      new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, [], {
        backoff: { ...fastBackoff, spreadMs: 1000, maxMs: 1000 },
        random: () => 0.99,
      }),
    );
    await nextEvent(ws, 'close');
    // Precondition: the refused socket is gone and only the retry timer is pending.
    await until(() => clientResources().TCPSocketWrap === before.TCPSocketWrap, 500);
    expect(clientResources()).toEqual({ ...before, Timeout: before.Timeout + 1 });
    const closed = nextEvent(ws, 'close');
    ws.close();
    await closed;
    await tick();
    expect(clientResources()).toEqual(before);
  });

  test('while the upgrade is in flight (connect deadline pending)', async () => {
    const url = await childServer();
    const before = await baseline();
    const ws = track(new ReconnectingWebSocket(url, [], { backoff: fastBackoff, connectTimeoutMs: 5000 }));
    // Let the attempt start (the URL is resolved asynchronously), then close mid-connect.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const inFlight = clientResources();
    expect(inFlight.TCPConnectWrap + inFlight.TCPSocketWrap).toBeGreaterThan(0);
    const closed = nextEvent(ws, 'close');
    ws.close();
    await closed;
    await tick();
    await tick();
    expect(clientResources()).toEqual(before);
  });
});
