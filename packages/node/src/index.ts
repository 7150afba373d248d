// @continuum/node: the core client with `ws` bound, plus what only Node has:
// headers, TLS options, an http.Agent, and the HTTP status of a refused upgrade.
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
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
  type TransportHandlers,
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
  return (url, protocols, handlers) => new NodeSocket(url, protocols, options, handlers);
}

/**
 * A `ws` socket is already a `Transport` (protocol, extensions, bufferedAmount, send,
 * close, terminate); this subclass adds the handlers, and listens with functions
 * shared by every socket: an idle connection holds no closures of ours.
 */
class NodeSocket extends WebSocket implements Transport {
  handlers: TransportHandlers;
  private drainWaiter: (() => void) | undefined = undefined;
  private lowWater = 0;
  /** Created at the first back-pressure: until then writes carry no callback at all. */
  private onWritten: (() => void) | undefined = undefined;

  override send(data: string | Uint8Array): void {
    super.send(data, this.onWritten);
  }

  /** A protocol ping; its pong is listened for from the first ping on (a socket never pinged keeps three listeners). */
  override ping(): void {
    if (!this.listenerCount('pong')) this.on('pong', ponged);
    super.ping();
  }

  whenDrained(callback: () => void, lowWater: number): void {
    this.drainWaiter = callback;
    this.lowWater = lowWater;
    this.onWritten ??= () => {
      const waiter = this.drainWaiter;
      if (waiter && this.bufferedAmount <= this.lowWater) {
        this.drainWaiter = undefined;
        waiter();
      }
    };
  }

  constructor(url: string, protocols: string[], options: NodeOptions, handlers: TransportHandlers) {
    super(url, protocols, {
      headers: options.headers,
      agent: options.agent,
      perMessageDeflate: options.perMessageDeflate ?? false,
      ...options.tls,
    });
    this.handlers = handlers;
    // An 'error' without a listener would crash the process (partykit #912).
    // Three listeners until the upgrade, three after it: a fourth at any time would
    // double ws's listener table (a dictionary) for the socket's whole life.
    this.on('unexpected-response', refused).on('error', failed).on('open', opened);
  }
}

// Listeners are called with the socket as `this` (ws types it as the base class).
function refused(this: WebSocket, request: ClientRequest, response: IncomingMessage): void {
  const status = response.statusCode ?? 0;
  // The link keeps the first error of a socket: this one, not the abort that follows.
  (this as NodeSocket).handlers.error(new ContinuumError('HANDSHAKE_REFUSED', `the server refused the WebSocket upgrade with HTTP ${status}`, { status, retryable: true }));
  response.resume();
  request.destroy();
  this.terminate();
}

function failed(this: WebSocket, cause: Error): void {
  // Before the upgrade ws emits 'close' right after an 'error' (and never without one):
  // listen for it from here. After the upgrade it is already listened for.
  if (!this.listenerCount('close')) this.on('close', closed);
  // ws fails the upgrade itself when the server selected no subprotocol or another one
  // ("Server sent no subprotocol", lib/websocket.js): a server that does not speak what
  // was asked for, which no retry changes (browsers show it only as 1006).
  const refusedProtocol = !this.protocol && /subprotocol/.test(cause.message);
  (this as NodeSocket).handlers.error(
    refusedProtocol
      ? new ContinuumError('HANDSHAKE_REFUSED', `the server did not accept the requested WebSocket subprotocol: ${cause.message}`, { cause })
      : new ContinuumError('NOT_CONNECTED', `WebSocket error: ${cause.message}`, { retryable: true, cause }),
  );
}

function opened(this: WebSocket): void {
  // ws emits no message before 'open'.
  this.off('unexpected-response', refused).off('open', opened).on('message', received).on('close', closed);
  (this as NodeSocket).handlers.open();
}

function received(this: WebSocket, data: Buffer, isBinary: boolean): void {
  (this as NodeSocket).handlers.message(isBinary ? data : data.toString('utf8'));
}

function ponged(this: WebSocket): void {
  (this as NodeSocket).handlers.pong();
}

function closed(this: WebSocket, code: number, reason: Buffer): void {
  this.removeAllListeners();
  this.on('error', ignore);
  (this as NodeSocket).handlers.close(code, reason.toString('utf8'), code !== 1006);
}

function ignore(): void {}

/**
 * The Continuum client for Node. Zero configuration: `ws` is bound.
 *
 * @example
 * import { Client } from '@continuum/node';
 * const client = new Client('ws://127.0.0.1:8080', { headers: { authorization: `Bearer ${token}` } });
 */
export class Client<TSend = SendData, TReceive = string | Uint8Array> extends CoreClient<TSend, TReceive> {
  constructor(url: string | (() => string | Promise<string>), options: NodeClientOptions = {}) {
    super(url, withNodeTransport(options));
  }
}

/** The core options: Node's own ones go into the transport (the core rejects keys it does not know). */
function withNodeTransport<T extends NodeOptions & { transport?: TransportFactory }>(options: T): Omit<T, keyof NodeOptions> {
  if (options === null || typeof options !== 'object') return options; // the core reports it (INVALID_ARGUMENT)
  const { headers, agent, tls, perMessageDeflate, ...core } = options;
  return { ...core, transport: core.transport ?? nodeTransport({ headers, agent, tls, perMessageDeflate }) };
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
    super(url, protocols, withNodeTransport(options));
  }
}
