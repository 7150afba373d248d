// Node's own options (headers, TLS, agent, permessage-deflate) go to the ws transport;
// the core, which rejects keys it does not know, never sees them.
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { startServer, track } from './helpers.js';

describe('Node options', () => {
  test('headers and perMessageDeflate reach the upgrade request; an unknown key is still refused', async () => {
    const server = await startServer();
    const upgrade = once(server.wss, 'connection') as Promise<[unknown, IncomingMessage]>;
    track(new ReconnectingWebSocket(server.url, [], { headers: { 'x-continuum-test': 'yes' }, perMessageDeflate: false, agent: undefined }));
    const [, request] = await upgrade;
    expect(request.headers['x-continuum-test']).toBe('yes');
    expect(request.headers['sec-websocket-extensions']).toBeUndefined();
    expect(() => new ReconnectingWebSocket(server.url, [], { header: { a: 'b' } } as never)).toThrow(/unknown option header;/);
  });
});
