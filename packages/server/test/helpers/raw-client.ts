// A deliberately small Continuum client over raw `ws`, speaking the protocol with the
// codec only. Tests script it frame by frame; it never hides what went over the wire.
import {
  FrameKind,
  SUBPROTOCOL,
  decodeFrame,
  decodeServerControl,
  encodeAck,
  encodeControl,
  encodeData,
  encodeResend,
  encodeVolatile,
  helloFor,
  type DataFrame,
  type NackMessage,
  type Payload,
  type ServerControl,
  type WelcomeMessage,
} from '@continuum/protocol';
import WebSocket from 'ws';

export type Received = { kind: 'control'; message: ServerControl } | { kind: 'frame'; frame: DataFrame };

export interface RawClientOptions {
  /** Subprotocols offered. @default ['continuum.v1'] */
  protocols?: string[];
  headers?: Record<string, string>;
  origin?: string;
  /** Answer server pings. @default true */
  autoPong?: boolean;
}

export interface Delivered {
  seq: number;
  data: Payload;
}

/** How long `until()` waits by default, ms. */
const WAIT_MS = 5_000;

export class RawClient {
  /** Everything received, in order. */
  readonly log: Received[] = [];
  /** Server messages delivered in sequence (duplicates dropped), like a real client would. */
  readonly delivered: Delivered[] = [];
  /** Highest contiguous server seq delivered. */
  recv = 0;
  /** Duplicates dropped and sequence skips seen. */
  duplicates = 0;
  skips = 0;
  /** Highest ack the server sent (DATA or ACK frames). */
  serverAck = 0;
  /** Our next sequence number. */
  nextSeq = 1;
  welcome: WelcomeMessage | undefined;
  closeEvent: { code: number; reason: string } | undefined;
  autoPong: boolean;
  private readonly waiters = new Set<() => void>();
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(
    url: string,
    options: RawClientOptions = {},
    readonly ws = new WebSocket(url, options.protocols ?? [SUBPROTOCOL], {
      headers: options.headers,
      origin: options.origin,
    }),
  ) {
    this.autoPong = options.autoPong ?? true;
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    // The opened promise may legitimately never be awaited (e.g. refusal tests).
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeEvent = { code, reason: reason.toString() };
        resolve(this.closeEvent);
        this.wake();
      });
    });
    ws.on('error', () => {});
    ws.on('message', (data: Buffer, isBinary) => this.onMessage(data, isBinary));
  }

  /** Connects and waits for the socket to open. */
  static async connect(url: string, options?: RawClientOptions): Promise<RawClient> {
    const client = new RawClient(url, options);
    await client.opened;
    return client;
  }

  /** Connects, sends hello and waits for the welcome. */
  static async session(
    url: string,
    hello: { resume?: { id: string; token: string; recv: number }; auth?: string } = {},
    options?: RawClientOptions,
  ): Promise<RawClient> {
    const client = await RawClient.connect(url, options);
    client.hello(hello.resume, hello.auth);
    await client.waitWelcome();
    return client;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) {
      const message = decodeServerControl(data.toString('utf8'));
      if (message) {
        this.log.push({ kind: 'control', message });
        if (message.t === 'welcome') this.welcome = message;
        if (message.t === 'ping' && this.autoPong) this.sendControl({ t: 'pong' });
      }
    } else {
      // Copy: decodeFrame returns views into the buffer.
      const frame = decodeFrame(new Uint8Array(data));
      this.log.push({ kind: 'frame', frame });
      if (frame.kind === FrameKind.DATA) {
        this.serverAck = Math.max(this.serverAck, frame.ack);
        frame.entries.forEach((entry, i) => {
          const seq = frame.firstSeq + i;
          if (seq <= this.recv) this.duplicates++;
          else if (seq > this.recv + 1) this.skips++;
          else {
            this.recv = seq;
            this.delivered.push({ seq, data: entry.data });
          }
        });
      } else if (frame.kind === FrameKind.ACK) {
        this.serverAck = Math.max(this.serverAck, frame.ack);
      }
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves once `condition()` holds, checked after every frame and on close. */
  until(condition: () => boolean, what = 'condition', timeoutMs = WAIT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; close=${JSON.stringify(this.closeEvent)}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  async waitWelcome(): Promise<WelcomeMessage> {
    await this.until(() => this.welcome !== undefined || this.closeEvent !== undefined, 'welcome');
    if (!this.welcome) throw new Error(`closed before welcome: ${JSON.stringify(this.closeEvent)}`);
    return this.welcome;
  }

  async waitDelivered(count: number): Promise<Delivered[]> {
    await this.until(() => this.delivered.length >= count, `${count} messages (have ${this.delivered.length})`);
    return this.delivered;
  }

  async waitServerAck(seq: number): Promise<void> {
    await this.until(() => this.serverAck >= seq, `server ack ${seq} (have ${this.serverAck})`);
  }

  controls<T extends ServerControl['t']>(t: T): Extract<ServerControl, { t: T }>[] {
    return this.log
      .filter((x): x is Extract<Received, { kind: 'control' }> => x.kind === 'control' && x.message.t === t)
      .map((x) => x.message as Extract<ServerControl, { t: T }>);
  }

  frames<K extends DataFrame['kind']>(kind: K): Extract<DataFrame, { kind: K }>[] {
    return this.log
      .filter((x): x is Extract<Received, { kind: 'frame' }> => x.kind === 'frame' && x.frame.kind === kind)
      .map((x) => x.frame as Extract<DataFrame, { kind: K }>);
  }

  get nacks(): NackMessage[] {
    return this.controls('nack');
  }

  hello(resume?: { id: string; token: string; recv: number }, auth?: string): void {
    this.sendControl(helloFor(resume, auth));
  }

  sendControl(message: Parameters<typeof encodeControl>[0]): void {
    this.ws.send(encodeControl(message));
  }

  /** One DATA frame holding `payloads`, numbered from our next seq, acking what we delivered. */
  send(...payloads: Payload[]): void {
    this.ws.send(encodeData(this.recv, this.nextSeq, payloads.map((data) => ({ data }))));
    this.nextSeq += payloads.length;
  }

  /** A DATA frame with explicit numbering (for duplicates and skips). */
  sendAt(firstSeq: number, ...payloads: Payload[]): void {
    this.ws.send(encodeData(this.recv, firstSeq, payloads.map((data) => ({ data }))));
  }

  resend(originId: string, originSeq: number, data: Payload): void {
    this.ws.send(encodeResend(this.recv, this.nextSeq++, originId, originSeq, { data }));
  }

  sendVolatile(...payloads: Payload[]): void {
    this.ws.send(encodeVolatile(payloads.map((data) => ({ data }))));
  }

  ack(seq = this.recv): void {
    this.ws.send(encodeAck(seq));
  }

  raw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** The resume a real client would present. */
  resumeInfo(): { id: string; token: string; recv: number } {
    if (!this.welcome) throw new Error('no welcome yet');
    return { id: this.welcome.id, token: this.welcome.token, recv: this.recv };
  }

  /** Drops the TCP connection without a close frame (a network failure). */
  drop(): Promise<{ code: number; reason: string }> {
    this.ws.terminate();
    return this.closed;
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.CLOSED) return this.closed;
    this.ws.close(1000);
    return this.closed;
  }
}
