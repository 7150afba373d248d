// The drop-in's heartbeat against servers that know nothing of Continuum: where the
// socket can send protocol pings (Node's ws), one goes out every 30 s by default and a
// link that stops answering is declared dead (reconnecting-websocket #98: a pulled cable
// was never noticed in Node); where it cannot (browsers), nothing runs unless asked.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ReconnectingWebSocket, type ReconnectingWebSocketOptions } from '../src/index.js';
import { FakeServer, flush } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function open(options: ReconnectingWebSocketOptions, protocolPings: boolean) {
  const server = new FakeServer(protocolPings);
  const ws = new ReconnectingWebSocket('ws://plain.test/feed', [], { ...options, transport: server.transport });
  const errors: string[] = [];
  ws.addEventListener('error', (e) => errors.push(e.error!.code));
  const socket = await server.next();
  socket.accept('');
  await flush();
  expect(ws.readyState).toBe(ReconnectingWebSocket.OPEN);
  return { ws, socket, errors };
}

describe('drop-in heartbeat defaults', () => {
  it('with protocol pings and no option: a ping every 30 s; pongs keep the link, silence past 40 s ends it', async () => {
    const { ws, socket, errors } = await open({}, true);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(socket.protocolPings).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(socket.protocolPings).toBe(1);
    socket.pong();
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(30_000);
      socket.pong();
    }
    expect(socket.protocolPings).toBe(11);
    expect(errors).toEqual([]);
    expect(socket.terminated).toBe(false);
    // The server stops answering: dead 40 s after the last pong, not before.
    await vi.advanceTimersByTimeAsync(39_999);
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(errors).toEqual(['HEARTBEAT_TIMEOUT']);
    expect(socket.terminated).toBe(true);
    ws.close();
  });

  it('a wall clock stepped back an hour (NTP) does not postpone the pings for an hour', async () => {
    const { ws, socket, errors } = await open({}, true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(socket.protocolPings).toBe(1);
    socket.pong();
    vi.setSystemTime(Date.now() - 3_600_000);
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(30_000);
      socket.pong();
    }
    expect(socket.protocolPings).toBeGreaterThanOrEqual(4);
    expect(errors).toEqual([]);
    ws.close();
  });

  it('a long upload draining into a server that sends nothing is not a dead link; a stalled one is', async () => {
    const { ws, socket, errors } = await open({}, true);
    socket.bufferedAmount = 64 * 1024 * 1024; // a large upload, the pongs queued behind it
    for (let i = 0; i < 12; i++) {
      await vi.advanceTimersByTimeAsync(10_000);
      socket.bufferedAmount -= 4 * 1024 * 1024; // the peer takes 4 MiB every 10 s
    }
    expect(errors).toEqual([]); // 2 minutes without a pong
    // The upload stalls: nothing leaves, nothing arrives. Progress is seen at the checks
    // (every ping), so the end comes within one ping interval plus the 40 s deadline.
    await vi.advanceTimersByTimeAsync(30_000 + 40_000);
    expect(errors).toEqual(['HEARTBEAT_TIMEOUT']);
    ws.close();
  });

  it('any inbound message counts as an answer', async () => {
    const { ws, socket, errors } = await open({}, true);
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(20_000);
      socket.text(`tick ${i}`);
    }
    expect(errors).toEqual([]);
    ws.close();
  });

  it('heartbeat.timeoutMs alone keeps the 30 s protocol ping and moves the deadline', async () => {
    const { ws, socket, errors } = await open({ heartbeat: { timeoutMs: 2_000 } }, true);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(socket.protocolPings).toBe(1);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(errors).toEqual(['HEARTBEAT_TIMEOUT']);
    ws.close();
  });

  it('intervalMs: 0 turns it off: no ping, no timer, a quiet link stays', async () => {
    const { ws, socket, errors } = await open({ heartbeat: { intervalMs: 0 } }, true);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(socket.protocolPings).toBe(0);
    expect(errors).toEqual([]);
    ws.close();
  });

  it('without protocol pings (a browser) and no option: no timer at all while open', async () => {
    const { ws, socket, errors } = await open({}, false);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(errors).toEqual([]);
    expect(socket.terminated).toBe(false);
    ws.close();
  });

  it('without protocol pings, intervalMs and no message: silence alone decides, no ping timer', async () => {
    const { ws, socket, errors } = await open({ heartbeat: { intervalMs: 100, timeoutMs: 100 } }, false);
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(150);
      socket.text('tick');
    }
    expect(errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(errors).toEqual(['HEARTBEAT_TIMEOUT']);
    ws.close();
  });

  it('a message without intervalMs pings every 30 s, with or without protocol pings', async () => {
    for (const protocolPings of [false, true]) {
      const { ws, socket } = await open({ heartbeat: { message: 'ping', isPong: (d) => d === 'pong' } }, protocolPings);
      await vi.advanceTimersByTimeAsync(29_999);
      expect(socket.sent).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(socket.sent).toEqual(['ping']);
      expect(socket.protocolPings).toBe(0);
      ws.close();
    }
  });

  it('with a message, the message is the ping, never the protocol ping', async () => {
    const { ws, socket } = await open({ heartbeat: { intervalMs: 1_000, message: 'ping', isPong: (d) => d === 'pong' } }, true);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(socket.sent).toEqual(['ping', 'ping', 'ping']);
    expect(socket.protocolPings).toBe(0);
    ws.close();
  });
});
