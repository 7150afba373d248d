// The queue is bounded, and every message it does not keep is reported (partykit #403:
// queued messages silently lost).
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { fastBackoff, freePort, nextEvent, record, startServer, track } from './helpers.js';

describe('queue bound and overflow', () => {
  test("overflow 'reject' (default): the new message is refused with an OUTBOX_FULL error event", async () => {
    const port = await freePort();
    const ws = track(new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, [], { startClosed: true, queue: { maxMessages: 3 }, backoff: fastBackoff }));
    const log = record(ws);
    for (let i = 0; i < 5; i++) ws.send(`m${i}`);
    const errors = log.of('error');
    expect(errors.map((e) => e.error?.code)).toEqual(['OUTBOX_FULL', 'OUTBOX_FULL']);
    expect(errors[0].target).toBe(ws);
    expect(typeof errors[0].message).toBe('string');

    const server = await startServer({ port });
    ws.reconnect();
    await nextEvent(ws, 'open');
    await vi.waitFor(() => expect(server.received).toHaveLength(3));
    expect(server.received).toEqual(['m0', 'm1', 'm2']);
  });

  test("overflow 'drop-oldest': the oldest is evicted with an EVICTED error event", async () => {
    const port = await freePort();
    const ws = track(
      new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, [], {
        startClosed: true,
        queue: { maxMessages: 3, overflow: 'drop-oldest' },
        backoff: fastBackoff,
      }),
    );
    const log = record(ws);
    for (let i = 0; i < 5; i++) ws.send(`m${i}`);
    expect(log.of('error').map((e) => e.error?.code)).toEqual(['EVICTED', 'EVICTED']);

    const server = await startServer({ port });
    ws.reconnect();
    await nextEvent(ws, 'open');
    await vi.waitFor(() => expect(server.received).toHaveLength(3));
    expect(server.received).toEqual(['m2', 'm3', 'm4']);
  });

  test('the byte bound is respected too, and bufferedAmount never exceeds it', async () => {
    const port = await freePort();
    const ws = track(
      new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, [], { startClosed: true, queue: { maxBytes: 100 }, backoff: fastBackoff }),
    );
    const log = record(ws);
    ws.send(new Uint8Array(60));
    ws.send(new Uint8Array(30));
    ws.send(new Uint8Array(20)); // 110 > 100: refused
    ws.send(new Uint8Array(10)); // exactly 100: kept
    expect(ws.bufferedAmount).toBe(100);
    expect(log.of('error').map((e) => e.error?.code)).toEqual(['OUTBOX_FULL']);

    const server = await startServer({ port });
    ws.reconnect();
    await vi.waitFor(() => expect(server.received).toHaveLength(3));
    expect(server.received.map((d) => (d as Buffer).length)).toEqual([60, 30, 10]);
  });

  test('a message larger than maxBytes under drop-oldest is refused without emptying the queue', async () => {
    const port = await freePort();
    const ws = track(
      new ReconnectingWebSocket(`ws://127.0.0.1:${port}`, [], {
        startClosed: true,
        queue: { maxBytes: 100, overflow: 'drop-oldest' },
        backoff: fastBackoff,
      }),
    );
    const log = record(ws);
    ws.send(new Uint8Array(40));
    ws.send(new Uint8Array(40));
    ws.send(new Uint8Array(500)); // can never fit
    // Evicting the queue would not make room for it: refuse it and keep the others.
    expect(log.of('error').map((e) => e.error?.code)).toEqual(['OUTBOX_FULL']);
    expect(ws.bufferedAmount).toBe(80);

    const server = await startServer({ port });
    ws.reconnect();
    await nextEvent(ws, 'open');
    await vi.waitFor(() => expect(server.received).toHaveLength(2));
    expect(server.received.map((d) => (d as Buffer).length)).toEqual([40, 40]);
  });
});
