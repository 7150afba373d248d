// A fake transport for unit tests of the core: no sockets, no I/O. The test plays
// the server. Every socket the client opens is recorded; the test decides when it
// opens (`accept`), what the server says (`welcome`, `data`, `ack`, `control`, `raw`),
// and how it ends (`closeFromServer`). What the client wrote is in `sent`, decoded
// with the real codec by `frames()`.
import {
  SUBPROTOCOL,
  decodeClientControl,
  decodeFrame,
  encodeAck,
  encodeControl,
  encodeData,
  type ClientControl,
  type DataFrame,
  type FrameEntry,
  type HelloMessage,
  type Payload,
  type ServerControl,
  type WelcomeMessage,
} from '@continuum/protocol';
import { Client, type ClientOptions, type Clock, type Transport, type TransportFactory, type TransportHandlers } from '@continuum/core';
import { vi } from 'vitest';

export type ClientFrame = ({ text: true } & ClientControl) | ({ text: false } & DataFrame);

export const defaultWelcome: WelcomeMessage = {
  t: 'welcome',
  v: 1,
  id: 'session-1',
  token: 'resume-token-1',
  resumed: false,
  recv: 0,
  ack: 0,
  pingMs: 25_000,
  maxMessageBytes: 1024 * 1024,
  maxFrameBytes: 1024 * 1024 + 65_536,
  sessionTtlMs: 120_000,
  replayMaxMessages: 10_000,
  replayMaxBytes: 8 * 1024 * 1024,
};

export class FakeSocket implements Transport {
  protocol = '';
  extensions = '';
  bufferedAmount = 0;
  readyState: 'connecting' | 'open' | 'closing' | 'closed' = 'connecting';
  /** Raw frames the client wrote, in order. */
  readonly sent: (string | Uint8Array)[] = [];
  /** Frames written after the client closed or terminated this socket (a real socket drops them). */
  readonly sentAfterClose: (string | Uint8Array)[] = [];
  /** The client's close(code, reason), if it started a closing handshake. */
  closedByClient: { code: number | undefined; reason: string | undefined } | undefined;
  terminated = false;
  /** When the client closes, answer the closing handshake (fire `close`) in a microtask. */
  answerClose = true;
  /** Protocol pings the client sent (only a socket made with `protocolPings` has `ping()`). */
  protocolPings = 0;
  /** The transport's protocol ping (RFC 6455), as Node's has; browsers' sockets have none. */
  ping?: () => void;

  constructor(
    readonly url: string,
    readonly protocols: string[],
    private readonly handlers: TransportHandlers,
    protocolPings = false,
  ) {
    if (protocolPings) this.ping = () => void this.protocolPings++;
  }

  // ---- the Transport the client sees ---------------------------------------------

  send(data: string | Uint8Array): void {
    if (this.readyState === 'connecting') throw new Error('InvalidStateError: send() before the socket opened');
    if (this.readyState !== 'open') {
      this.sentAfterClose.push(data);
      return;
    }
    // Copy: a client may reuse its buffer.
    this.sent.push(typeof data === 'string' ? data : data.slice());
  }

  close(code?: number, reason?: string): void {
    if (this.readyState === 'closed' || this.readyState === 'closing') return;
    this.closedByClient = { code, reason };
    this.readyState = 'closing';
    if (this.answerClose) {
      queueMicrotask(() => {
        if (this.readyState !== 'closing') return;
        this.readyState = 'closed';
        this.handlers.close(code ?? 1005, reason ?? '', true);
      });
    }
  }

  terminate(): void {
    this.terminated = true;
    this.readyState = 'closed';
  }

  // ---- the server's side ---------------------------------------------------------

  /** Completes the upgrade, selecting `protocol` (the server must select continuum.v1). */
  accept(protocol: string = SUBPROTOCOL): this {
    this.protocol = protocol;
    this.readyState = 'open';
    this.handlers.open();
    return this;
  }

  /** Sends a welcome: the defaults, overridden by `fields`. */
  welcome(fields: Partial<WelcomeMessage> = {}): this {
    return this.text(encodeControl({ ...defaultWelcome, ...fields }));
  }

  control(message: ServerControl): this {
    return this.text(encodeControl(message));
  }

  text(text: string): this {
    this.handlers.message(text);
    return this;
  }

  /** DATA: messages numbered firstSeq, firstSeq + 1, … with a piggybacked ack. */
  data(firstSeq: number, ack: number, payloads: (Payload | FrameEntry)[]): this {
    const entries = payloads.map((p) => (typeof p === 'string' || p instanceof Uint8Array ? { data: p } : p));
    return this.raw(encodeData(ack, firstSeq, entries));
  }

  ack(ack: number): this {
    return this.raw(encodeAck(ack));
  }

  nack(seq: number, message = 'handler failed'): this {
    return this.control({ t: 'nack', seq, code: 'REJECTED_BY_SERVER', message });
  }

  /** The server's heartbeat ping (a control message), which the client answers. */
  serverPing(): this {
    return this.control({ t: 'ping' });
  }

  /** The answer to a protocol ping, as a server sends by itself. */
  pong(): this {
    this.handlers.pong();
    return this;
  }

  raw(frame: Uint8Array | string): this {
    this.handlers.message(frame);
    return this;
  }

  /** The server (or the network) ends the socket. */
  closeFromServer(code: number, reason = '', wasClean = code !== 1006): void {
    this.readyState = 'closed';
    this.handlers.close(code, reason, wasClean);
  }

  /** A transport-level error (then, like a browser, a close). */
  error(error: Parameters<TransportHandlers['error']>[0]): this {
    this.handlers.error(error);
    return this;
  }

  // ---- what the client wrote -----------------------------------------------------

  frames(): ClientFrame[] {
    return this.sent.map(decodeClientFrame);
  }

  controls(): ClientControl[] {
    return this.frames().filter((f) => f.text).map(({ text, ...rest }) => rest as ClientControl);
  }

  dataFrames(): DataFrame[] {
    return this.frames().filter((f) => !f.text).map(({ text, ...rest }) => rest as DataFrame);
  }

  hello(): HelloMessage {
    const first = this.frames()[0];
    if (!first || !first.text || first.t !== 'hello') throw new Error(`the first frame is not a hello: ${JSON.stringify(first)}`);
    const { text, ...hello } = first;
    return hello as HelloMessage;
  }

  /** Acks the client wrote (standalone ACK frames). */
  acks(): number[] {
    return this.dataFrames().flatMap((f) => (f.kind === 0 ? [f.ack] : []));
  }
}

export function decodeClientFrame(frame: string | Uint8Array): ClientFrame {
  if (typeof frame === 'string') {
    const message = decodeClientControl(frame);
    if (!message) throw new Error(`unknown control message: ${frame}`);
    return { text: true, ...message };
  }
  return { text: false, ...decodeFrame(frame) };
}

/** Records every socket the client opens; pass `server.transport` as the `transport` option. */
export class FakeServer {
  readonly sockets: FakeSocket[] = [];

  /** `protocolPings`: the sockets have a protocol `ping()` (like Node's), else none (like a browser's). */
  constructor(private readonly protocolPings = false) {}

  readonly transport: TransportFactory = (url, protocols, handlers) => {
    const socket = new FakeSocket(url, protocols, handlers, this.protocolPings);
    this.sockets.push(socket);
    return socket;
  };

  get last(): FakeSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (!socket) throw new Error('the client opened no socket');
    return socket;
  }

  /** Sockets before this index were handed out by next()/open() or failed by failEverySocket(). */
  cursor = 0;

  /**
   * The next socket the client opened that `next()`/`open()` has not handed out yet,
   * waiting (microtasks only, no timer) for the client to create it.
   */
  async next(): Promise<FakeSocket> {
    for (let i = 0; i < 50 && this.sockets.length <= this.cursor; i++) await Promise.resolve();
    const socket = this.sockets[this.cursor];
    if (!socket) throw new Error(`the client opened no new socket (${this.sockets.length} so far)`);
    this.cursor++;
    return socket;
  }

  /** Takes the next socket, accepts it and welcomes the client; returns the socket. */
  async open(welcome: Partial<WelcomeMessage> = {}): Promise<FakeSocket> {
    const socket = await this.next();
    socket.accept();
    await flush();
    socket.welcome(welcome);
    await flush();
    return socket;
  }
}

/** Lets queued microtasks (promise callbacks, queueMicrotask) run; fires no timer. */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A seeded random source in [0, 1) (mulberry32): deterministic jitter. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A clock whose time moves only when the test says, and whose timers fire only when the test says. */
export class ManualClock implements Clock {
  private time = 1_000_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  /** Moves time without firing anything: a throttled tab whose timers are late. */
  skip(ms: number): void {
    this.time += ms;
  }

  /** Fires every timer that is due now (late ones included), in due order. */
  fireDue(): number {
    let fired = 0;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= this.time && (!due || entry[1].at < due[1].at)) due = entry;
      if (!due) return fired;
      this.timers.delete(due[0]);
      due[1].fn();
      fired++;
    }
  }

  /** Moves time forward, firing timers on time. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: number | undefined;
      for (const { at } of this.timers.values()) if (at <= end && (next === undefined || at < next)) next = at;
      if (next === undefined) break;
      this.time = Math.max(this.time, next);
      this.fireDue();
    }
    this.time = end;
  }
}

/** Records a client's events in order. */
export function record(client: { on(event: string, listener: (...args: any[]) => void): () => void }) {
  const log: { event: string; value: any }[] = [];
  for (const event of ['state', 'open', 'close', 'error', 'retry', 'session'] as const) {
    client.on(event, (value?: unknown) => log.push({ event, value }));
  }
  const of = (event: string) => log.filter((e) => e.event === event).map((e) => e.value);
  return {
    log,
    of,
    get states() {
      return of('state') as { state: string; previous: string; reason: string }[];
    },
    get closes() {
      return of('close') as { code: number; reason: string; wasClean: boolean; willReconnect: boolean }[];
    },
    get errors() {
      return of('error') as { code: string; message: string; retryable: boolean }[];
    },
    get retries() {
      return of('retry') as { attempt: number; delayMs: number; reason: string }[];
    },
    get sessions() {
      return of('session') as any[];
    },
    get opens() {
      return of('open').length;
    },
  };
}

/** Tracks a promise's outcome without awaiting it. */
export function track<T>(promise: Promise<T>) {
  const state: { status: 'pending' | 'resolved' | 'rejected'; error?: any } = { status: 'pending' };
  promise.then(
    () => {
      state.status = 'resolved';
    },
    (error) => {
      state.status = 'rejected';
      state.error = error;
    },
  );
  return state;
}

export const TEST_URL = 'ws://continuum.test/live';

/**
 * A client wired to a fresh fake server, with a seeded random source and every
 * event recorded from construction on (the constructor's own `connecting` state
 * event is emitted before any listener can be attached; pass `autoConnect: false`
 * and call `connect()` to see it).
 */
export function start(options: ClientOptions = {}, url: string | (() => string | Promise<string>) = TEST_URL) {
  const server = new FakeServer();
  const client = new Client(url, { transport: server.transport, random: seeded(1), ...options });
  const events = record(client);
  const messages: { data: string | Uint8Array; seq: number }[] = [];
  client.on('message', (data, meta) => messages.push({ data, seq: meta.seq }));
  return { server, client, events, messages };
}

/**
 * Drives a client's reconnect loop: advances fake time in steps for `totalMs` (or
 * until `until()` holds), failing every new socket with `code` before it opens.
 */
export async function failEverySocket(server: FakeServer, totalMs: number, stepMs = 10, code = 1006, until?: () => boolean): Promise<void> {
  for (let t = 0; t < totalMs && !until?.(); t += stepMs) {
    await flush();
    for (const socket of server.sockets) if (socket.readyState === 'connecting') socket.closeFromServer(code, '', false);
    server.cursor = server.sockets.length;
    await vi.advanceTimersByTimeAsync(stepMs);
  }
  await flush();
}
