// A message listener that throws does not break the receive loop: the next message
// (in the same frame or the next one) is still delivered. The exception is not
// swallowed either: it is re-thrown asynchronously, where the platform reports it.
import { describe, it, expect, vi, beforeEach, afterEach, type Mock } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

const realSetImmediate = globalThis.setImmediate;
let saved: NodeJS.UncaughtExceptionListener[] = [];
let uncaught: Mock<(...args: unknown[]) => void>;

beforeEach(() => {
  vi.useFakeTimers();
  // The re-thrown listener error would otherwise reach vitest's own handler and fail the run.
  saved = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  uncaught = vi.fn<(...args: unknown[]) => void>();
  process.on('uncaughtException', uncaught);
});
afterEach(() => {
  process.removeAllListeners('uncaughtException');
  for (const listener of saved) process.on('uncaughtException', listener);
  vi.useRealTimers();
});

describe('a throwing listener', () => {
  it('does not stop delivery of the next entry or frame', async () => {
    const { server, client, events } = start();
    const socket = await server.open();
    const delivered: string[] = [];
    client.on('message', (data) => {
      delivered.push(data as string);
      if (data === 'boom') throw new Error('app bug');
    });
    expect(() => socket.data(1, 0, ['boom', 'after-in-same-frame'])).not.toThrow();
    expect(() => socket.data(3, 0, ['next-frame'])).not.toThrow();
    expect(delivered).toEqual(['boom', 'after-in-same-frame', 'next-frame']);
    await flush();
    await new Promise<void>((resolve) => realSetImmediate(resolve));
    expect(client.state).toBe('open');
    expect(events.errors).toEqual([]);
    expect(socket.closedByClient).toBeUndefined();
    // and the ack still covers everything delivered
    await vi.advanceTimersByTimeAsync(25);
    expect(socket.acks().at(-1)).toBe(3);
    expect(uncaught).toHaveBeenCalledTimes(1);
    expect((uncaught.mock.calls[0][0] as Error).message).toBe('app bug');
  });

  it("a throwing 'open' or 'session' listener does not break the handshake", async () => {
    const { server, client } = start();
    client.on('open', () => {
      throw new Error('open listener bug');
    });
    client.on('session', () => {
      throw new Error('session listener bug');
    });
    const socket = await server.open();
    expect(client.state).toBe('open');
    void client.send('x');
    await flush();
    expect(socket.dataFrames()).toHaveLength(1);
    await new Promise<void>((resolve) => realSetImmediate(resolve));
    expect(uncaught).toHaveBeenCalledTimes(2);
  });
});
