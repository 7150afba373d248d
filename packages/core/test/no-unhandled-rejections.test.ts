// Every promise send() returns is marked handled: an app that ignores them never sees
// an unhandled rejection, whatever the reason they reject for.
import { describe, it, expect, vi, beforeEach, afterEach, type Mock } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

// Captured before vi.useFakeTimers() replaces it: Node reports unhandled rejections
// after the microtask queue drained, so the test must wait a real macrotask.
const realSetImmediate = globalThis.setImmediate;
const macrotask = () => new Promise<void>((resolve) => realSetImmediate(() => resolve()));

let unhandled: Mock<(...args: unknown[]) => void>;
beforeEach(() => {
  vi.useFakeTimers();
  unhandled = vi.fn<(...args: unknown[]) => void>();
  process.on('unhandledRejection', unhandled);
});
afterEach(() => {
  process.off('unhandledRejection', unhandled);
  vi.useRealTimers();
});

describe('no unhandled rejections when send() promises are ignored', () => {
  it('OUTBOX_FULL, EVICTED, MESSAGE_TOO_LARGE, REJECTED_BY_SERVER, NOT_CONNECTED, CLIENT_CLOSED', async () => {
    const full = start({ outbox: { maxMessages: 1 } });
    const evict = start({ outbox: { maxMessages: 1, overflow: 'drop-oldest' } });
    const { server, client } = start({ maxMessageBytes: 4 });
    client.send('12345'); // MESSAGE_TOO_LARGE
    client.send('x', { volatile: true }); // NOT_CONNECTED
    full.client.send('a');
    full.client.send('b'); // OUTBOX_FULL
    evict.client.send('a'); // EVICTED by the next
    evict.client.send('b');
    const socket = await server.open();
    client.send('n');
    await flush();
    socket.nack(1); // REJECTED_BY_SERVER
    client.send('pending');
    await flush();
    await client.close(); // CLIENT_CLOSED for 'pending'
    client.send('late'); // CLIENT_CLOSED after close
    await full.client.close();
    await evict.client.close();
    await macrotask();
    await macrotask();
    expect(unhandled).not.toHaveBeenCalled();
  });

  it('SESSION_LOST and RECONNECT_EXHAUSTED paths', async () => {
    const lost = start({ onSessionLost: 'reject', backoff: { maxMs: 10 } });
    const first = await lost.server.open({ id: 's1' });
    lost.client.send('a');
    await flush();
    first.closeFromServer(1006, '', false);
    await vi.advanceTimersByTimeAsync(10);
    await lost.server.open({ id: 's2', resumed: false, previous: { id: 's1', ack: 0 } }); // SESSION_LOST
    expect(lost.events.sessions.at(-1)?.unsent).toEqual({ resent: 0, rejected: 1 });

    const exhausted = start({ maxRetries: 0 });
    exhausted.client.send('queued');
    const s = await exhausted.server.next();
    s.closeFromServer(1006, '', false); // RECONNECT_EXHAUSTED: 'queued' rejects CLIENT_CLOSED
    expect(exhausted.client.state).toBe('closed');
    await macrotask();
    await macrotask();
    expect(unhandled).not.toHaveBeenCalled();
  });

  it('the spy works: a genuinely unhandled rejection is seen', async () => {
    void Promise.reject(new Error('control'));
    await macrotask();
    await macrotask();
    expect(unhandled).toHaveBeenCalledTimes(1);
  });
});
