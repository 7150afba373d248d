// @continuum/node: the core client with `ws` bound, plus what only Node has:
// headers, TLS options, an http.Agent, and the HTTP status of a refused upgrade.
import type { Agent } from 'node:http';
import type { SecureContextOptions } from 'node:tls';
import WebSocket from 'isomorphic-ws';
import {
  Client as CoreClient,
  ReconnectingWebSocket as CoreReconnectingWebSocket,
  type ReconnectingWebSocketOptions,
  ContinuumError,
  type ClientOptions,
  type SendData,
  type Transport,
  type TransportFactory,
} from '@continuum/core';

export * from '@continuum/core';

/** What Node adds to the core options. */
export interface NodeOptions {
  /** Extra HTTP headers for the upgrade request (e.g. `Authorization`). */
  headers?: Record<string, string>;
  /** An `http.Agent` / `https.Agent` (proxies, keep-alive pools). */
  agent?: Agent;
  /** TLS options for `wss:` (a private CA, client certificates). */
  tls?: SecureContextOptions & { rejectUnauthorized?: boolean; servername?: string };
  /** permessage-deflate: off by default (CPU and memory per connection). @default false */
  perMessageDeflate?: boolean;
}

export type NodeClientOptions = ClientOptions & NodeOptions;

/** A transport on `ws` that reports the HTTP status of a refused upgrade. */
export function nodeTransport(options: NodeOptions = {}): TransportFactory {
  return (url, protocols, handlers) => {
    const ws = new WebSocket(url, protocols, {
      headers: options.headers,
      agent: options.agent,
      perMessageDeflate: options.perMessageDeflate ?? false,
      ...options.tls,
    });
    let reported = false;
    const report = (error: ContinuumError) => {
      if (reported) return;
      reported = true;
      handlers.error(error);
    };
    ws.on('unexpected-response', (request, response) => {
      const status = response.statusCode ?? 0;
      report(
        new ContinuumError('HANDSHAKE_REFUSED', `the server refused the WebSocket upgrade with HTTP ${status}`, {
          status,
          retryable: true,
        }),
      );
      response.resume();
      request.destroy();
      ws.terminate();
    });
    // An 'error' without a listener would crash the process (partykit #912).
    ws.on('error', (cause) =>
      report(new ContinuumError('NOT_CONNECTED', `WebSocket error: ${cause.message}`, { retryable: true, cause })),
    );
    ws.on('open', () => handlers.open());
    ws.on('message', (data, isBinary) => {
      const bytes = data as Buffer;
      handlers.message(isBinary ? bytes : bytes.toString('utf8'));
    });
    ws.on('close', (code, reason) => {
      ws.removeAllListeners();
      ws.on('error', () => {});
      handlers.close(code, reason.toString('utf8'), code !== 1006);
    });
    const transport: Transport = {
      get protocol() {
        return ws.protocol;
      },
      get extensions() {
        return ws.extensions;
      },
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      send: (data) => ws.send(data),
      close: (code, reason) => ws.close(code, reason),
      terminate: () => ws.terminate(),
    };
    return transport;
  };
}

/**
 * The Continuum client for Node. Zero configuration: `ws` is bound.
 *
 * @example
 * import { Client } from '@continuum/node';
 * const client = new Client('ws://127.0.0.1:8080', { headers: { authorization: `Bearer ${token}` } });
 */
export class Client<TSend = SendData, TReceive = string | Uint8Array> extends CoreClient<TSend, TReceive> {
  constructor(url: string | (() => string | Promise<string>), options: NodeClientOptions = {}) {
    super(url, { ...options, transport: options.transport ?? nodeTransport(options) });
  }
}

/**
 * The WebSocket drop-in for Node, on `ws`: works against any server. Binary
 * messages arrive as `Buffer` (`binaryType` `'nodebuffer'`) unless set to `'arraybuffer'`.
 */
export class ReconnectingWebSocket extends CoreReconnectingWebSocket {
  constructor(
    url: string | (() => string | Promise<string>),
    protocols: string | string[] | (() => string | string[] | Promise<string | string[]>) = [],
    options: ReconnectingWebSocketOptions & NodeOptions = {},
  ) {
    super(url, protocols, { ...options, transport: options.transport ?? nodeTransport(options) });
  }
}
