// Malformed input from the server never throws into the app: the client reports
// PROTOCOL_ERROR, closes the socket with 4002 and reconnects. Unknown control
// types are ignored (forward compatibility).
import { describe, it, expect, vi, beforeEach, afterEach, type Mock } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

let uncaught: Mock<(...args: unknown[]) => void>;
beforeEach(() => {
  vi.useFakeTimers();
  uncaught = vi.fn<(...args: unknown[]) => void>();
  process.on('uncaughtException', uncaught);
});
afterEach(() => {
  process.off('uncaughtException', uncaught);
  vi.useRealTimers();
});

const cases: [string, string | Uint8Array][] = [
  ['an unknown binary frame kind', new Uint8Array([0x09, 0x00])],
  ['a truncated DATA frame', new Uint8Array([0x01, 0x00])],
  ['an empty binary frame', new Uint8Array([])],
  ['invalid UTF-8 in a text entry', new Uint8Array([0x01, 0x00, 0x01, 0x08, 0xc3, 0x28])],
  ['text that is not JSON', 'not json {'],
  ['a JSON array', '[1,2]'],
  ['a nack with a string seq', '{"t":"nack","seq":"1","code":"X","message":"m"}'],
  ['a second welcome', JSON.stringify({ t: 'welcome', v: 1, id: 'x', token: 'y', resumed: false, recv: 0, ack: 0, pingMs: 1000, maxMessageBytes: 10, maxFrameBytes: 100, sessionTtlMs: 1, replayMaxMessages: 1, replayMaxBytes: 1 })],
];

describe('malformed frames from the server', () => {
  it.each(cases)('%s → PROTOCOL_ERROR, close 4002, reconnect; nothing thrown', async (_name, frame) => {
    const { server, client, events, messages } = start();
    const socket = await server.open();
    expect(() => socket.raw(frame)).not.toThrow();
    await flush();
    expect(messages).toEqual([]);
    expect(events.errors.map((e) => e.code)).toEqual(['PROTOCOL_ERROR']);
    expect(socket.closedByClient?.code).toBe(4002);
    expect(client.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    expect(server.sockets).toHaveLength(2);
    expect(uncaught).not.toHaveBeenCalled();
  });

  it('a binary frame before the welcome is a protocol error too', async () => {
    const { server, events } = start();
    const socket = await server.next();
    socket.accept();
    await flush();
    expect(() => socket.data(1, 0, ['early'])).not.toThrow();
    expect(events.errors.map((e) => e.code)).toEqual(['PROTOCOL_ERROR']);
    expect(socket.closedByClient?.code).toBe(4002);
  });

  it('an unknown control type is ignored, the link stays up', async () => {
    const { server, client, events, messages } = start();
    const socket = await server.open();
    socket.text('{"t":"from-the-future","x":1}');
    socket.data(1, 0, ['still fine']);
    await flush();
    expect(events.errors).toEqual([]);
    expect(socket.closedByClient).toBeUndefined();
    expect(client.state).toBe('open');
    expect(messages.map((m) => m.data)).toEqual(['still fine']);
  });
});
