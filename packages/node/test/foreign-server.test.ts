// A Client pointed at a WebSocket server that does not speak Continuum stops with
// HANDSHAKE_REFUSED instead of retrying forever (PROTOCOL.md §2): retrying will not
// change what the server speaks.
import { describe, expect, test, vi } from 'vitest';
import { Client, ReconnectingWebSocket, type ContinuumError } from '@continuum/node';
import { defer, quietPeriod, record, startServer, track } from './helpers.js';

describe('a server that is not a Continuum server', () => {
  test.each([
    ['selects no subprotocol (ws fails the upgrade itself)', () => false as const],
    ['selects another subprotocol', () => 'graphql-ws'],
  ])('%s: HANDSHAKE_REFUSED, stopped, one socket only', async (_, pick) => {
    const server = await startServer({ handleProtocols: pick });
    const client = new Client(server.url, { backoff: { maxMs: 50 } });
    defer(() => client.close());
    const errors: ContinuumError[] = [];
    client.on('error', (e) => errors.push(e));
    await vi.waitFor(() => expect(client.state).toBe('closed'));
    expect(errors.map((e) => e.code)).toEqual(['HANDSHAKE_REFUSED']);
    expect(errors[0].retryable).toBe(false);
    // With maxMs 50 a retry would have come long ago: the server saw one upgrade.
    const attempts = client.stats().attempts;
    await quietPeriod(300);
    expect(client.stats().attempts).toBe(attempts);
    expect(attempts).toBe(1);
  });

  test('the drop-in asking for a subprotocol the server refuses: HANDSHAKE_REFUSED once, then it stops', async () => {
    const server = await startServer({ handleProtocols: () => false });
    const ws = track(new ReconnectingWebSocket(server.url, ['chat.v2'], { backoff: { maxMs: 20 } }));
    const log = record(ws);
    await vi.waitFor(() => expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED));
    await quietPeriod(200);
    expect(log.of('error').map((e) => e.error?.code)).toEqual(['HANDSHAKE_REFUSED']);
    expect(ws.readyState).toBe(ReconnectingWebSocket.CLOSED);
  });
});
