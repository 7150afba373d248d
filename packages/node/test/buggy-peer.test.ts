// A server that breaks the protocol on purpose: the client never throws into the
// app, never delivers out of order or skips silently, does not hot-loop, and
// keeps Object.prototype clean.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  SUBPROTOCOL,
  decodeClientControl,
  encodeControl,
  encodeData,
  type WelcomeMessage,
} from '@continuum/protocol';
import { Client } from '@continuum/node';

function welcome(id: string, over: Partial<WelcomeMessage> = {}): string {
  return encodeControl({
    t: 'welcome', v: 1, id, token: 'tok', resumed: false, recv: 0, ack: 0, pingMs: 60_000,
    maxMessageBytes: 1 << 20, maxFrameBytes: (1 << 20) + 65_536, sessionTtlMs: 60_000,
    replayMaxMessages: 1000, replayMaxBytes: 1 << 20, ...over,
  } as WelcomeMessage);
}

/** A scripted server: `script(socket, n)` runs after each hello, n = socket index. */
async function buggyServer(script: (ws: WebSocket, n: number, hello: ReturnType<typeof decodeClientControl>) => void) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => SUBPROTOCOL });
  await new Promise((r) => wss.once('listening', r));
  let n = 0;
  wss.on('connection', (ws) => {
    const index = n++;
    ws.once('message', (data) => script(ws, index, decodeClientControl(data.toString())));
  });
  const port = (wss.address() as { port: number }).port;
  return { url: `ws://127.0.0.1:${port}`, sockets: () => n, close: () => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(r); }) };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

const uncaught: unknown[] = [];
process.on('uncaughtException', (e) => uncaught.push(e));

function client(url: string) {
  const c = new Client(url, { backoff: { initialMs: 20, maxMs: 100, spreadMs: 20 } });
  cleanups.push(() => c.close());
  const got: [string, number][] = [];
  c.on('message', (data, meta) => got.push([String(data), meta.seq]));
  c.on('error', () => {});
  return { c, got };
}

describe('a buggy server', () => {
  it('duplicates are dropped, a reordered/skipped sequence is never delivered out of order: the client resumes from what it has', async () => {
    const hellos: unknown[] = [];
    const server = await buggyServer((ws, n, hello) => {
      hellos.push(hello);
      if (n === 0) {
        ws.send(welcome('s1'));
        ws.send(encodeData(0, 1, [{ data: 'a' }, { data: 'b' }]));
        ws.send(encodeData(0, 1, [{ data: 'a' }, { data: 'b' }])); // duplicate frame
        ws.send(encodeData(0, 2, [{ data: 'b' }, { data: 'c' }])); // overlap
        ws.send(encodeData(0, 5, [{ data: 'e' }])); // skip: 4 is missing
      } else {
        // The resume asks from recv = 3; replay honestly.
        ws.send(welcome('s1', { resumed: true }));
        ws.send(encodeData(0, 4, [{ data: 'd' }, { data: 'e' }]));
      }
    });
    cleanups.push(server.close);
    const { got } = client(server.url);
    await vi.waitFor(() => expect(got).toHaveLength(5));
    expect(got).toEqual([['a', 1], ['b', 2], ['c', 3], ['d', 4], ['e', 5]]);
    expect((hellos[1] as { resume?: { recv: number } }).resume?.recv).toBe(3);
  });

  it('malformed frames (bad JSON, NaN, negative, huge, __proto__, truncated, unknown kinds) never throw into the app and never hot-loop', async () => {
    const evil = [
      '{not json',
      '{"t":"welcome","v":1,"id":"x","token":"t","resumed":false,"recv":NaN}',
      '{"t":"nack","seq":-1,"code":"X","message":"m"}',
      '{"t":"nack","seq":1e300,"code":"X","message":"m"}',
      '{"t":"ping","__proto__":{"polluted":true}}',
      '{"__proto__":{"polluted":true},"t":"error","code":"X","message":"m"}',
      new Uint8Array([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      new Uint8Array([0x01, 0x00, 0x01, 0xff, 0x7f]),
      new Uint8Array([0x09]),
      new Uint8Array([]),
    ];
    const server = await buggyServer((ws, n) => {
      ws.send(welcome(`s${n}`));
      const frame = evil[n % evil.length];
      ws.send(frame);
      ws.send(encodeData(0, 1, [{ data: 'ok' }]));
      // Frames the client tolerates (a ping with a __proto__ key) leave the link up: end it here.
      setTimeout(() => ws.close(1011), 20);
    });
    cleanups.push(server.close);
    const { c, got } = client(server.url);
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.code));
    await vi.waitFor(() => expect(server.sockets()).toBeGreaterThanOrEqual(evil.length), { timeout: 10_000 });
    expect(uncaught).toEqual([]);
    // Whatever came before it, every 'ok' that was delivered was seq 1 of its own session.
    expect(got.every(([data, seq]) => data === 'ok' && seq === 1)).toBe(true);
    expect(errors.every((code) => code === 'PROTOCOL_ERROR' || code === 'REJECTED_BY_SERVER' || code === 'NOT_CONNECTED')).toBe(true);
    // Not a hot loop: each reconnect waited for its backoff.
    const sockets = server.sockets();
    await new Promise((r) => setTimeout(r, 150));
    expect(server.sockets() - sockets).toBeLessThanOrEqual(6);
    expect(c.state).not.toBe('closed');
  });
});
