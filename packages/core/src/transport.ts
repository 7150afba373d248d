import { ContinuumError } from '@continuum/protocol';

/** What a socket reports to its owner. */
export interface TransportHandlers {
  open(): void;
  /** Text as string, binary as Uint8Array. */
  message(data: string | Uint8Array): void;
  close(code: number, reason: string, wasClean: boolean): void;
  /** A failure before or during the connection; `status` is the HTTP status of a refused upgrade where the platform shows it. */
  error(error: ContinuumError): void;
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
}

export type TransportFactory = (url: string, protocols: string[], handlers: TransportHandlers) => Transport;

/** The subset of the WHATWG WebSocket the core uses. */
export interface WebSocketLike {
  readonly protocol: string;
  readonly extensions: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  binaryType: string;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: any): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

function toPayload(data: unknown): string | Uint8Array | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/**
 * Wraps a WHATWG WebSocket constructor. Browsers show a refused upgrade (401, 403)
 * only as an error plus close 1006, so no status is available here.
 */
export function webSocketTransport(WebSocketImpl: WebSocketConstructor): TransportFactory {
  return (url, protocols, handlers) => {
    const ws = new WebSocketImpl(url, protocols.length > 0 ? protocols : undefined);
    ws.binaryType = 'arraybuffer';
    let done = false;
    const detach = () => {
      done = true;
      ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    };
    ws.onopen = () => handlers.open();
    ws.onmessage = (event) => {
      const payload = toPayload(event.data);
      if (payload !== undefined) handlers.message(payload);
    };
    ws.onerror = () => {
      if (!done) handlers.error(new ContinuumError('NOT_CONNECTED', `WebSocket error on ${url}`, { retryable: true }));
    };
    ws.onclose = (event) => {
      if (done) return;
      detach();
      handlers.close(event.code, event.reason, event.wasClean);
    };
    return {
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
      close: (code, reason) => {
        try {
          ws.close(code, reason);
        } catch {
          ws.close();
        }
      },
      terminate: () => {
        // The WHATWG API has no terminate: stop listening and let the close
        // handshake time out on its own; the owner treats the socket as gone now.
        detach();
        try {
          ws.close(4000, 'terminated');
        } catch {
          /* already closing */
        }
      },
    };
  };
}
