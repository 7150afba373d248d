import { ContinuumError } from '@continuum/protocol';

/** What a socket reports to its owner. */
export interface TransportHandlers {
  open(): void;
  /** Text as string, binary as Uint8Array. */
  message(data: string | Uint8Array): void;
  close(code: number, reason: string, wasClean: boolean): void;
  /** A failure before or during the connection; `status` is the HTTP status of a refused upgrade where the platform shows it. */
  error(error: ContinuumError): void;
  /** The answer to `Transport.ping()` arrived: a sign of life, not a message. */
  pong(): void;
}

/**
 * One socket, as the core needs it. Adapters implement it; `webSocketTransport`
 * wraps any WHATWG-compatible constructor (browsers, Deno, Bun, React Native).
 */
export interface Transport {
  /** The subprotocol the server selected. */
  readonly protocol: string;
  readonly extensions: string;
  /** Bytes queued in the socket but not yet written: used for back-pressure. */
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Drops the socket without a closing handshake (a dead link cannot complete one). */
  terminate(): void;
  /**
   * Optional: calls `callback` once the bytes queued fall to `lowWater`, so a sender
   * under back-pressure resumes the moment there is room. Without it (browsers have no
   * such event) the client polls `bufferedAmount`. One waiter at a time.
   */
  whenDrained?(callback: () => void, lowWater: number): void;
  /**
   * Optional: a WebSocket protocol ping (RFC 6455 §5.5.2), which any server answers by
   * itself; the answer is reported through `handlers.pong()`. It lets the drop-in check
   * a link to a server that knows nothing of Continuum. Browsers have no such API.
   */
  ping?(): void;
}

export type TransportFactory = (url: string, protocols: string[], handlers: TransportHandlers) => Transport;

/** The subset of the WHATWG WebSocket the core uses. */
export interface WebSocketLike {
  readonly url: string;
  readonly protocol: string;
  readonly extensions: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  binaryType: string;
  addEventListener(type: string, listener: { handleEvent(event: any): void }): void;
  send(data: any): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/**
 * Wraps a WHATWG WebSocket constructor. Browsers show a refused upgrade (401, 403)
 * only as an error plus close 1006, so no status is available here.
 */
export function webSocketTransport(WebSocketImpl: WebSocketConstructor): TransportFactory {
  return (url, protocols, handlers) => new WebSocketTransport(new WebSocketImpl(url, protocols.length > 0 ? protocols : undefined), handlers);
}

/** The transport an owner asked for, else one on its `WebSocket` (or `fallback`). Shared by `Client` and the drop-in. */
export function chooseTransport(
  options: { transport?: TransportFactory | undefined; WebSocket?: WebSocketConstructor | undefined },
  fallback?: WebSocketConstructor,
): TransportFactory {
  const { transport } = options;
  const WebSocket = options.WebSocket ?? fallback;
  if (transport) return transport;
  if (WebSocket) return webSocketTransport(WebSocket);
  throw new ContinuumError('INVALID_ARGUMENT', 'no WebSocket implementation found: in Node use @continuum/node, or pass the `WebSocket` option');
}

/** As the WHATWG WebSocket does: an app may close with 1000 or 3000–4999 only. */
export function checkCloseCode(code: number): void {
  if (code !== 1000 && !(code >= 3000 && code <= 4999))
    throw new ContinuumError('INVALID_ARGUMENT', `close code must be 1000 or 3000–4999, got ${code}`);
}

/** The bytes of a buffer or view, without a copy (a Uint8Array as it is). */
export function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof Uint8Array
    ? data
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * One WHATWG WebSocket as a `Transport`. It is its own event listener (`handleEvent`),
 * so a socket costs this one object, not a closure per event. Events after `close`
 * or `terminate()` still reach the handlers; the link ignores a socket it left.
 */
class WebSocketTransport implements Transport {
  constructor(
    private readonly ws: WebSocketLike,
    private readonly handlers: TransportHandlers,
  ) {
    ws.binaryType = 'arraybuffer';
    for (const type of ['open', 'message', 'error', 'close']) ws.addEventListener(type, this);
  }

  get protocol(): string {
    return this.ws.protocol;
  }
  get extensions(): string {
    return this.ws.extensions;
  }
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  handleEvent(event: { type: string; data?: unknown; code?: number; reason?: string; wasClean?: boolean }): void {
    const { handlers } = this;
    const { type, data } = event;
    if (type === 'open') handlers.open();
    else if (type === 'message') {
      // An ArrayBuffer, as binaryType asks; some implementations hand out views.
      if (typeof data === 'string') handlers.message(data);
      else if (data instanceof ArrayBuffer) handlers.message(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) handlers.message(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else if (type === 'error') handlers.error(new ContinuumError('NOT_CONNECTED', `WebSocket error on ${this.ws.url}`, { retryable: true }));
    else handlers.close(event.code!, event.reason!, event.wasClean!);
  }

  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  close(code?: number, reason?: string): void {
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.close(); // a code the WHATWG API refuses (e.g. 1002)
    }
  }

  terminate(): void {
    // The WHATWG API has no terminate: start the close handshake and let it time out
    // on its own; the owner treats the socket as gone now.
    try {
      this.ws.close(4000, 'terminated');
    } catch {
      /* already closing */
    }
  }
}
