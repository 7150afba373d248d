import type { IncomingMessage } from 'node:http';
import {
  CloseCode,
  FrameKind,
  ProtocolViolation,
  decodeClientControl,
  decodeFrame,
  encodeControl,
  truncateUtf8,
  Limits,
} from '@continuum/protocol';
import type { Hub } from './hub.js';
import type { Link, Session } from './session.js';

/**
 * The socket as the protocol needs it. `use/ws.ts` implements it over `ws`; a new
 * runtime (uWebSockets.js, Bun, Deno) is a new binding, not new branches in here.
 */
export interface Transport {
  send(data: string | Uint8Array): void;
  /** Starts the closing handshake; the binding terminates the socket if the peer never answers. */
  close(code: number, reason: string): void;
  /** Destroys the socket at once (a silent peer will not answer a close frame). */
  terminate(): void;
  /** Bytes queued in the socket but not yet written. */
  readonly bufferedAmount: number;
  /**
   * Calls `callback` once, when the bytes queued fall to `lowWater` or the socket goes.
   * One waiter at a time: a new one replaces the old. Event-driven, so a sender under
   * backpressure resumes the moment there is room instead of at the next poll.
   */
  whenDrained(callback: () => void, lowWater: number): void;
}

/** Where a socket is in its life. */
export type ConnectionPhase = 'hello' | 'auth' | 'open' | 'closed';

const PING = encodeControl({ t: 'ping' });
const PONG = encodeControl({ t: 'pong' });

/** One socket: handshake deadline, control messages, and the session it is bound to. */
export class Connection implements Link {
  phase: ConnectionPhase = 'hello';
  session: Session<any> | undefined;
  /** Last time anything arrived, ms since the epoch: the heartbeat reaps on silence. */
  lastSeen = Date.now();
  /** Last time a ping was sent. */
  lastPing = 0;
  private handshakeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly hub: Hub<any>,
    private readonly transport: Transport,
    /**
     * The upgrade request, for `authenticate`; released after the welcome, because keeping
     * it (headers, parser state) would nearly double the memory of an idle session.
     */
    public request: IncomingMessage | undefined,
  ) {
    this.handshakeTimer = setTimeout(handshakeTimeout, hub.options.handshakeTimeoutMs, this);
  }

  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  whenDrained(callback: () => void, lowWater: number): void {
    this.transport.whenDrained(callback, lowWater);
  }

  write(data: string | Uint8Array): void {
    const metrics = this.hub.metrics;
    metrics.framesOut++;
    metrics.bytesOut += data.length;
    this.transport.send(data);
  }

  ping(now: number): void {
    this.lastPing = now;
    this.write(PING);
  }

  /** The handshake succeeded: the socket now carries `session`. */
  open(session: Session<any>): void {
    this.phase = 'open';
    this.session = session;
    this.lastPing = Date.now();
    this.clearHandshakeTimer();
    this.request = undefined;
  }

  /** A WebSocket message from the client (text frames arrive as strings). */
  receive(data: string | Uint8Array): void {
    if (this.phase === 'closed') return;
    this.lastSeen = Date.now();
    const metrics = this.hub.metrics;
    metrics.framesIn++;
    metrics.bytesIn += data.length;
    if (typeof data === 'string') {
      // Control messages count against the session's rate too (a flood of pings or auths).
      if (this.phase === 'open' && this.session && !this.hub.admitFrame(this, this.session, 1, data.length)) return;
      this.control(data);
      return;
    }
    const session = this.session;
    if (this.phase !== 'open' || !session) {
      this.protocolError('binary frame before the welcome');
      return;
    }
    let frame;
    try {
      frame = decodeFrame(data);
    } catch (error) {
      this.protocolError(error);
      return;
    }
    if (frame.kind === FrameKind.PUBLICATION) {
      this.protocolError('publication frames go from server to client only');
      return;
    }
    const messages =
      frame.kind === FrameKind.DATA || frame.kind === FrameKind.VOLATILE ? frame.entries.length : frame.kind === FrameKind.RESEND ? 1 : 0;
    if (!this.hub.admitFrame(this, session, messages, data.length)) return;
    session.receive(frame);
  }

  private control(text: string): void {
    let message;
    try {
      message = decodeClientControl(text);
    } catch (error) {
      this.protocolError(error);
      return;
    }
    if (message === undefined) return; // a type from a newer version: ignored
    switch (message.t) {
      case 'hello':
        if (this.phase !== 'hello') {
          this.protocolError('hello sent twice');
          return;
        }
        this.phase = 'auth';
        this.hub.handshake(this, message);
        return;
      case 'ping':
        this.write(PONG);
        return;
      case 'pong':
        return;
      case 'auth':
        if (this.phase !== 'open') {
          this.protocolError('auth before the welcome');
          return;
        }
        this.hub.reauthenticate(this, message.token);
        return;
      case 'bye':
        if (this.phase !== 'open') {
          this.protocolError('bye before the welcome');
          return;
        }
        this.session?.leave();
        return;
      case 'sub':
      case 'unsub':
        if (this.phase !== 'open') {
          this.protocolError(`${message.t} before the welcome`);
          return;
        }
        if (message.t === 'sub') this.hub.channels.subscribe(this, message);
        else this.hub.channels.unsubscribe(this, message.ch);
        return;
    }
  }

  private protocolError(error: unknown): void {
    const why = error instanceof ProtocolViolation || error instanceof Error ? error.message : String(error);
    if (this.phase !== 'open') this.hub.metrics.handshakeFailed('protocol');
    this.close(CloseCode.CONTINUUM_PROTOCOL_ERROR, `protocol error: ${why}`);
  }

  /** Closes the socket (closing handshake) and detaches its session. Idempotent. */
  close(code: number, reason: string): void {
    if (this.phase === 'closed') return;
    const reasonText = truncateUtf8(reason, Limits.maxCloseReasonBytes);
    this.finish(code, reasonText);
    this.transport.close(code, reasonText);
  }

  /** Destroys a socket that stopped answering, without a closing handshake. */
  terminate(code: number, reason: string): void {
    if (this.phase === 'closed') return;
    this.finish(code, reason);
    this.transport.terminate();
  }

  /** The transport reports the socket closed. */
  closed(code: number, reason: string): void {
    if (this.phase === 'closed') return;
    if (this.phase !== 'open') this.hub.metrics.handshakeFailed('abandoned');
    this.finish(code, reason);
  }

  private finish(code: number, reason: string): void {
    this.phase = 'closed';
    this.clearHandshakeTimer();
    this.hub.forget(this);
    this.hub.channels.connectionClosed(this);
    const session = this.session;
    this.session = undefined;
    session?.detach(this, code, reason);
  }

  /** @internal */
  handshakeTimedOut(): void {
    this.handshakeTimer = undefined;
    if (this.phase === 'open' || this.phase === 'closed') return;
    this.hub.metrics.handshakeFailed('timeout');
    this.close(CloseCode.HANDSHAKE_TIMEOUT, `no handshake within ${this.hub.options.handshakeTimeoutMs} ms`);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer === undefined) return;
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }
}

function handshakeTimeout(connection: Connection): void {
  connection.handshakeTimedOut();
}
