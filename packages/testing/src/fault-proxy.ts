import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * Where a {@link FaultProxy} forwards connections: a `ws://` or `wss://` URL
 * (its path and query carry over to {@link FaultProxy.url}, so a test can swap
 * the server's URL for the proxy's) or a plain TCP host and port.
 */
export type FaultProxyTarget = string | { host: string; port: number };

/** Options of {@link FaultProxy.start}. */
export interface FaultProxyOptions {
  /** The real server. Can be changed later with {@link FaultProxy.setTarget}. */
  target: FaultProxyTarget;
  /** Interface to listen on; loopback, so a test never opens a port to the network. @default '127.0.0.1' */
  host?: string;
  /** Port to listen on; 0 lets the OS pick a free one (read it back from {@link FaultProxy.port}). @default 0 */
  port?: number;
}

/**
 * Counters since {@link FaultProxy.start}, so a chaos test can assert that the
 * fault it injected really hit a connection instead of passing vacuously.
 */
export interface FaultProxyStats {
  /** Connections accepted and forwarded to the target (refused ones are not counted). */
  accepted: number;
  /** Connections dropped on arrival while {@link FaultProxy.refuse} was in force. */
  refused: number;
  /** Connections ended by {@link FaultProxy.cut} (one per connection, not per call). */
  cuts: number;
  /** Connections reset by {@link FaultProxy.reset} (one per connection, not per call). */
  resets: number;
  /** Bytes forwarded client → target, in bytes. Swallowed bytes (blackhole) are not counted. */
  bytesUp: number;
  /** Bytes forwarded target → client, in bytes. Swallowed bytes (blackhole) are not counted. */
  bytesDown: number;
}

interface Endpoint {
  host: string;
  port: number;
  /** `ws:` or `wss:`: TLS passes through the proxy untouched, so the scheme is the target's. */
  scheme: string;
  /** Path and query of a URL target, '' otherwise. */
  path: string;
}

/** The fault switches every pipe reads when a chunk arrives. */
interface Faults {
  blackholed: boolean;
  delayMs: number;
}

/**
 * A TCP proxy that injects network faults between a client and a server in tests:
 * clean cuts (FIN), resets (RST), a half-open link that swallows bytes
 * (blackhole), latency, and a server that is down (refuse). It forwards bytes and
 * knows nothing of WebSocket, so it works for any protocol over TCP, TLS included.
 *
 * @example
 * ```ts
 * const proxy = await FaultProxy.start({ target: `ws://127.0.0.1:${serverPort}/live` });
 * const client = new Client(proxy.url); // ws://127.0.0.1:<proxy.port>/live
 * proxy.blackhole(); // the client's heartbeat must notice the silent link
 * proxy.restore();
 * await proxy.close();
 * ```
 */
export class FaultProxy {
  private readonly links = new Set<Link>();
  /** Every socket not yet closed, both sides, including cut and refused ones, so `close()` can wait for all. */
  private readonly sockets = new Set<Socket>();
  private readonly faults: Faults = { blackholed: false, delayMs: 0 };
  private readonly counts: FaultProxyStats = { accepted: 0, refused: 0, cuts: 0, resets: 0, bytesUp: 0, bytesDown: 0 };
  private endpoint: Endpoint;
  private refusing = false;
  private closing: Promise<void> | undefined;
  /** Read once: `server.address()` returns null after close, and the getters should still answer. */
  private readonly address: AddressInfo;

  private constructor(
    private readonly server: Server,
    target: Endpoint,
  ) {
    this.endpoint = target;
    this.address = server.address() as AddressInfo;
    server.on('connection', (client) => this.accept(client));
    // Accept failures (EMFILE) are emitted on the server; a test proxy must not crash the process over them.
    server.on('error', ignore);
  }

  /** Starts listening and resolves once the port is bound. Rejects if it cannot listen (port in use). */
  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    if (typeof options !== 'object' || options === null) throw new TypeError('FaultProxy.start needs options: { target }');
    const endpoint = parseTarget(options.target);
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer in 0..65535, got ${port}`);
    // allowHalfOpen: a FIN from one side is forwarded as a FIN, not answered by Node with its own.
    // noDelay: Nagle plus delayed ACKs can add ~40 ms per small write on loopback, which would blur delay().
    const server = createServer({ allowHalfOpen: true, noDelay: true });
    server.listen(port, options.host ?? '127.0.0.1');
    await once(server, 'listening');
    return new FaultProxy(server, endpoint);
  }

  /** The port the proxy listens on. */
  get port(): number {
    return this.address.port;
  }

  /** The URL clients should connect to: the target's scheme, path and query, with the proxy's host and port. */
  get url(): string {
    const { address, family } = this.address;
    // A wildcard address is fine to listen on but not to connect to.
    const host = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
    return `${this.endpoint.scheme}//${family === 'IPv6' ? `[${host}]` : host}:${this.port}${this.endpoint.path}`;
  }

  /** Where new connections go. Existing connections keep their server. */
  get target(): { host: string; port: number } {
    return { host: this.endpoint.host, port: this.endpoint.port };
  }

  /** Points new connections at another server, e.g. one restarted on a different port. */
  setTarget(target: FaultProxyTarget): void {
    this.endpoint = parseTarget(target);
  }

  /** Live proxied connections (client and server side counted once). Cut and reset ones no longer count. */
  get connections(): number {
    return this.links.size;
  }

  /** A snapshot of the counters; later faults do not change it. */
  stats(): FaultProxyStats {
    return { ...this.counts };
  }

  /**
   * Ends every open connection cleanly: both the client and the server receive a
   * FIN, as when a load balancer drains. Data still queued by `delay()` is dropped.
   * New connections are still accepted.
   */
  cut(): void {
    for (const link of [...this.links]) {
      link.cut();
      this.counts.cuts++;
    }
  }

  /**
   * Aborts every open connection: both sides receive an RST (`ECONNRESET`), as when
   * a NAT or a crashed peer forgets the connection. New connections are still accepted.
   */
  reset(): void {
    for (const link of [...this.links]) {
      link.reset();
      this.counts.resets++;
    }
  }

  /**
   * Makes the link silently dead until {@link restore}, on existing and new
   * connections: bytes in both directions are swallowed and nothing is closed —
   * no FIN, no RST, and a side that closes meanwhile is not reported to the
   * other. Only a heartbeat can detect this, which is what it is for.
   *
   * Swallowed bytes are lost (as with toxiproxy's `timeout` toxic), so a
   * connection that carried traffic while blackholed holds a corrupt stream after
   * `restore()`; expect the client to drop it and reconnect.
   */
  blackhole(): void {
    this.faults.blackholed = true;
  }

  /**
   * Adds latency to every chunk in both directions, in ms; replaces any earlier
   * delay, and 0 removes it. Order is kept per direction. A WebSocket round trip
   * through the proxy takes at least `2 * ms` more.
   */
  delay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`delay(ms) needs a finite number >= 0, got ${ms}`);
    this.faults.delayMs = ms;
  }

  /**
   * Acts like a server that is down: new connections are accepted and reset at
   * once, so clients see `ECONNRESET` and the target never hears of them.
   * Existing connections are untouched. Until {@link restore}.
   */
  refuse(): void {
    this.refusing = true;
  }

  /**
   * Clears blackhole, delay and refuse. Chunks already delayed still arrive at
   * their time. Ends and closes held back by a blackhole are delivered now: a
   * side that vanished meanwhile makes the other side's connection reset, as a
   * real TCP stack answers the first packet after a partition heals.
   */
  restore(): void {
    const wasBlackholed = this.faults.blackholed;
    this.faults.blackholed = false;
    this.faults.delayMs = 0;
    this.refusing = false;
    if (wasBlackholed) for (const link of [...this.links]) link.release();
  }

  /**
   * Stops listening, destroys every socket and clears every timer; resolves when
   * all sockets and the listener are closed, so nothing keeps the process alive.
   * Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const listenerClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const socketsClosed = [...this.sockets].map((socket) => new Promise((resolve) => socket.once('close', resolve)));
    for (const link of this.links) link.dispose();
    this.links.clear();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([listenerClosed, ...socketsClosed]);
    await handlesReleased();
  }

  private accept(client: Socket): void {
    // Network errors are expected here and handled through 'close'; without a
    // listener Node would throw them into the test's event loop.
    client.on('error', ignore);
    this.track(client);
    if (this.closing) {
      client.destroy();
      return;
    }
    if (this.refusing) {
      this.counts.refused++;
      resetSocket(client);
      return;
    }
    this.counts.accepted++;
    const { host, port } = this.endpoint;
    // Writes before 'connect' are buffered by Node, so client bytes can flow into it at once.
    const server = connect({ host, port, allowHalfOpen: true, noDelay: true });
    server.on('error', ignore);
    this.track(server);
    const link: Link = new Link(client, server, this.faults, {
      up: (bytes) => (this.counts.bytesUp += bytes),
      down: (bytes) => (this.counts.bytesDown += bytes),
      done: () => this.links.delete(link),
    });
    this.links.add(link);
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}

interface LinkHooks {
  up(bytes: number): void;
  down(bytes: number): void;
  /** The link stopped counting as a connection. Called once. */
  done(): void;
}

/** One proxied connection: a client socket, a server socket and a pipe each way. */
class Link {
  private readonly up: Pipe;
  private readonly down: Pipe;
  /** Set once cut, reset or closed: nothing more is forwarded, and the hooks forget this link. */
  private finished = false;
  /** A side that survived its peer's abort during a blackhole; it is reset on release(). */
  private orphan: Socket | undefined;
  private closedSides = 0;

  constructor(
    private readonly client: Socket,
    private readonly server: Socket,
    private readonly faults: Faults,
    private readonly hooks: LinkHooks,
  ) {
    const isOpen = () => !this.finished;
    this.up = new Pipe(client, server, faults, isOpen, hooks.up);
    this.down = new Pipe(server, client, faults, isOpen, hooks.down);
    client.once('close', (hadError) => this.onClose(client, server, hadError));
    server.once('close', (hadError) => this.onClose(server, client, hadError));
  }

  cut(): void {
    this.finish();
    this.client.end();
    this.server.end();
  }

  reset(): void {
    this.finish();
    resetSocket(this.client);
    resetSocket(this.server);
  }

  release(): void {
    this.up.release();
    this.down.release();
    if (this.orphan) resetSocket(this.orphan);
    this.orphan = undefined;
  }

  /** Clears the delay timers; the sockets are the proxy's to destroy. */
  dispose(): void {
    this.up.dispose();
    this.down.dispose();
  }

  private onClose(side: Socket, other: Socket, hadError: boolean): void {
    // A side that closes without having received a FIN was aborted (RST, or a
    // failed connect to a target that is down): the other side gets an RST too.
    // A clean close needs nothing, its FIN was already forwarded by the pipe.
    const aborted = hadError || !side.readableEnded;
    if (aborted && !this.finished) {
      if (this.faults.blackholed) this.orphan = other;
      else resetSocket(other);
    }
    if (++this.closedSides === 2) this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.dispose();
    this.hooks.done();
  }
}

/** Forwards one direction, applying blackhole and delay to each chunk and to the FIN. */
class Pipe {
  /** Chunks and the FIN waiting for their delay, in arrival order. One timer serves the head. */
  private readonly queue: { dueMs: number; run: () => void }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** A FIN that arrived during a blackhole, delivered on release(). */
  private endHeld = false;
  private waitingForDrain = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly faults: Faults,
    private readonly isOpen: () => boolean,
    private readonly count: (bytes: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => {
      if (!isOpen() || faults.blackholed) return;
      this.schedule(() => this.write(chunk));
    });
    from.on('end', () => {
      if (!isOpen()) return;
      if (faults.blackholed) this.endHeld = true;
      else this.schedule(() => this.end());
    });
  }

  release(): void {
    if (!this.endHeld || !this.isOpen()) return;
    this.endHeld = false;
    this.schedule(() => this.end());
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private schedule(run: () => void): void {
    // A chunk never overtakes one queued before it, even when the delay shrank.
    if (this.faults.delayMs === 0 && this.queue.length === 0) return run();
    const dueMs = Math.max(performance.now() + this.faults.delayMs, this.queue.at(-1)?.dueMs ?? 0);
    this.queue.push({ dueMs, run });
    if (this.queue.length === 1) this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (head === undefined) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, head.dueMs - performance.now()));
  }

  private flush(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0].dueMs <= now) this.queue.shift()!.run();
    this.arm();
  }

  private write(chunk: Buffer): void {
    if (this.to.destroyed || this.to.writableEnded) return;
    this.count(chunk.length);
    // Back-pressure: stop reading the sender until the receiver drains.
    if (!this.to.write(chunk) && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.from.pause();
      this.to.once('drain', () => {
        this.waitingForDrain = false;
        this.from.resume();
      });
    }
  }

  private end(): void {
    if (!this.to.destroyed && !this.to.writableEnded) this.to.end();
  }
}

/**
 * Sends an RST. `resetAndDestroy()` waits for 'connect' on a socket still
 * connecting, which may never come (a target that hangs); such a socket has no
 * connection to reset, so it is simply destroyed.
 */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * Resolves once libuv has finished closing the handles closed so far. A socket's
 * 'close' fires from its handle's close callback, but `net.Server` emits 'close'
 * on a next tick, before libuv's close phase has released the listening handle, so
 * it still shows in `process.getActiveResourcesInfo()`. A close requested in one
 * loop iteration is done by the check phase of the next one, hence two turns.
 */
async function handlesReleased(): Promise<void> {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
}

function parseTarget(target: FaultProxyTarget): Endpoint {
  if (typeof target === 'string') {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new TypeError(`target must be a ws:// or wss:// URL or { host, port }, got ${JSON.stringify(target)}`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      throw new TypeError(`target must be a ws:// or wss:// URL or { host, port }, got ${JSON.stringify(target)}`);
    }
    const port = url.port === '' ? (url.protocol === 'wss:' ? 443 : 80) : Number(url.port);
    // URL keeps the brackets of an IPv6 host; net.connect wants the bare address.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const path = url.pathname === '/' && url.search === '' ? '' : `${url.pathname}${url.search}`;
    return { host, port, scheme: url.protocol, path };
  }
  if (typeof target !== 'object' || target === null || typeof target.host !== 'string') {
    throw new TypeError('target must be a ws:// or wss:// URL or { host, port }');
  }
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new RangeError(`target.port must be an integer in 1..65535, got ${target.port}`);
  }
  return { host: target.host, port: target.port, scheme: 'ws:', path: '' };
}

function ignore(): void {}
