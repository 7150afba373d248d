// A server that is not a Continuum server (does not select continuum.v1) is not
// retried: the client stops with HANDSHAKE_REFUSED (PROTOCOL.md §2). One that welcomes
// with another protocol version stops it with PROTOCOL_ERROR.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('handshake: protocol mismatch', () => {
  it('a server that does not select continuum.v1 → close 1002, HANDSHAKE_REFUSED, stopped', async () => {
    const { server, client, events } = start();
    const socket = await server.next();
    socket.accept('');
    await flush();
    expect(socket.sent).toHaveLength(0); // no hello to a foreign server
    expect(socket.closedByClient?.code).toBe(1002);
    expect(events.errors.map((e) => e.code)).toEqual(['HANDSHAKE_REFUSED']);
    expect(client.state).toBe('closed');
    expect(events.closes.at(-1)?.willReconnect).toBe(false);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.sockets).toHaveLength(1);
    expect(events.retries).toEqual([]);
  });

  it('a server selecting another subprotocol is refused the same way', async () => {
    const { server, client, events } = start();
    const socket = await server.next();
    socket.accept('graphql-ws');
    await flush();
    expect(events.errors.map((e) => e.code)).toEqual(['HANDSHAKE_REFUSED']);
    expect(client.state).toBe('closed');
  });

  it('a welcome of another protocol version → close 1002 and stop with PROTOCOL_ERROR (PROTOCOL.md §7.1)', async () => {
    const { server, client, events } = start();
    const socket = await server.next();
    socket.accept();
    await flush();
    socket.welcome({ v: 2 });
    await flush();
    expect(events.opens).toBe(0);
    expect(socket.closedByClient?.code).toBe(1002);
    expect(events.errors.map((e) => e.code)).toEqual(['PROTOCOL_ERROR']);
    expect(client.state).toBe('closed');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.sockets).toHaveLength(1);
  });
});
