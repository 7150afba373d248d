// The reconnecting connection layer shared by `Client` and `ReconnectingWebSocket`:
// one socket at a time, the state machine, backoff, connect deadline, liveness.
// It knows nothing of the Continuum protocol: the owner (a `LinkOwner`) says when
// a socket counts as established, what a close means, and how to ping.
//
// `BaseLink` is everything the drop-in needs; `Link` adds what only `Client` uses
// (probe, drop, the reconnect count), so a bundle of the drop-in leaves it out.
//
// An idle link costs a few small objects and no timer: the socket's handlers are one
// `Attempt` object with prototype methods (not closures), the reconnect policy is
// shared when it is the default, and the `minUptimeMs` backoff reset is a timestamp
// comparison at the next loss rather than a pending timer.
import { ContinuumError } from '@continuum/protocol';
import { reconnectDelay, type BackoffOptions, type LossCause } from './backoff.js';
import type { Clock } from './clock.js';
import { Scope } from './scope.js';
import { transition, type ConnectionState, type StateEvent } from './state.js';
import type { Transport, TransportFactory, TransportHandlers } from './transport.js';

export type Provider<T> = T | (() => T | Promise<T>);

/** How a link retries; one shared object when every value is the default. */
export interface LinkPolicy {
  backoff: BackoffOptions;
  maxRetries: number;
  maxReconnectMs: number;
  connectTimeoutMs: number;
  minUptimeMs: number;
  clock: Clock;
  random: () => number;
}

/** Where a link connects. Passing the policy in the same object works too (`Client` does). */
export interface LinkTarget {
  url: Provider<string>;
  protocols: Provider<string[]>;
  transport: TransportFactory;
}

export type LinkOptions = LinkTarget & LinkPolicy;

/** Why a socket ended, as the link saw it. */
export interface SocketEnd {
  code: number;
  reason: string;
  wasClean: boolean;
  /** `remote`: the peer or network closed it; `timeout`: no handshake in time; `heartbeat`: inbound silence; `local`: the owner dropped it. */
  cause: 'remote' | 'timeout' | 'heartbeat' | 'local' | 'error';
  error?: ContinuumError;
}

export type RetryHint = { minMs: number; maxMs: number };

/** What the owner decides after a socket ended. */
export type EndDecision = { reconnect: true; cause: LossCause; hint?: RetryHint | undefined } | { reconnect: false; error?: ContinuumError };

export interface LinkOwner {
  /** The socket is open; the owner may run a handshake, then call `established()`. */
  socketOpened(transport: Transport, url: string): void;
  socketMessage(data: string | Uint8Array): void;
  /** Decide what the end of a socket means (pure: no events yet). */
  decide(end: SocketEnd): EndDecision;
  /** Report the end (the owner emits its `close` event here). */
  socketEnded(end: SocketEnd, willReconnect: boolean): void;
  stateChanged?(state: ConnectionState, previous: ConnectionState, reason: string): void;
  retryScheduled?(attempt: number, delayMs: number, reason: string): void;
  failed(error: ContinuumError): void;
  /** Send one heartbeat ping on the current socket. */
  ping(): void;
}

export interface HeartbeatPlan {
  /** Send a ping this often, ms; 0 = never. */
  pingEveryMs: number;
  /** The link is dead after this much inbound silence, ms; 0 = never. */
  deadAfterMs: number;
}

/** No pings, no watchdog: the plan until the owner sets one. */
export const noHeartbeat: HeartbeatPlan = /* @__PURE__ */ Object.freeze({ pingEveryMs: 0, deadAfterMs: 0 });

export class BaseLink {
  state: ConnectionState = 'closed';
  transport: Transport | undefined = undefined;
  attempts = 0;
  lastInboundAt = 0;
  /** @internal The attempt in progress or open; callbacks of any other attempt are stale. */
  current: Attempt | undefined = undefined;
  /** Failed attempts since the last stable connection (the backoff step). */
  private failures = 0;
  private establishedAt = 0;
  private disconnectedSince = 0;
  /** A retry timer is pending. */
  private retrying = false;
  private heartbeat: HeartbeatPlan = noHeartbeat;
  /**
   * Every timer of the link. Only one kind is ever pending: the retry wait, or the
   * connect deadline, or (while open) the heartbeat and probes; each step clears the last.
   */
  protected readonly timers: Scope;
  private readonly url: Provider<string>;
  private readonly protocols: Provider<string[]>;
  private readonly factory: TransportFactory;

  /** `policy` defaults to `options` itself; an owner on the default policy passes the shared one. */
  constructor(
    options: LinkTarget & Partial<LinkPolicy>,
    /** @internal */ readonly owner: LinkOwner,
    private readonly policy: LinkPolicy = options as LinkOptions,
  ) {
    this.timers = new Scope(policy.clock);
    this.url = options.url;
    this.protocols = options.protocols;
    this.factory = options.transport;
  }

  /** @internal */
  now(): number {
    return this.policy.clock.now();
  }

  /** From `closed`: start connecting. */
  connect(reason = 'connect'): void {
    if (this.state !== 'closed') return;
    this.failures = 0;
    this.disconnectedSince = this.now();
    this.setState('connect', reason);
    void this.attempt();
  }

  /** Drop the current socket (if any) and try again now, whatever the backoff step. */
  reconnect(reason = 'reconnect'): void {
    if (this.state === 'closed') return this.connect(reason);
    this.failures = 0;
    if (this.transport) this.endSocket({ code: 4000, reason, wasClean: false, cause: 'local' }, { reconnect: true, cause: 'client' }, true);
    else this.attemptNow();
  }

  /** Skip the pending backoff wait (e.g. the browser came back online). */
  attemptNow(): void {
    if (this.retrying) void this.attempt();
  }

  /** The owner's handshake completed on the current socket. */
  established(): void {
    this.timers.clear(); // the connect deadline
    this.establishedAt = this.lastInboundAt = this.now();
    this.setState('established', 'handshake complete');
    this.armHeartbeat();
  }

  /** Liveness plan for the current and later sockets. */
  setHeartbeat(plan: HeartbeatPlan): void {
    if (plan === this.heartbeat) return;
    this.heartbeat = plan;
    if (this.state === 'open') this.armHeartbeat();
  }

  /**
   * Stop for good. Starts the closing handshake on an open socket and resolves
   * once it closed, or after `graceMs` when the peer does not answer (then the
   * socket is dropped), so nothing lingers.
   */
  close(code: number, reason: string, why = 'closed by the app', graceMs = 1000): Promise<void> {
    const { transport, current } = this;
    this.stop(why);
    return new Promise((resolve) => {
      if (!transport || !current) return resolve();
      const { clock } = this.policy;
      const handle = clock.setTimeout(() => {
        transport.terminate();
        resolve();
      }, graceMs);
      (handle as { unref?: () => void }).unref?.();
      const done = (current.closed = () => {
        clock.clearTimeout(handle);
        resolve();
      });
      try {
        transport.close(code, reason);
      } catch {
        transport.terminate();
        done();
      }
    });
  }

  /** The link is dead (heartbeat, unanswered probe): drop the socket, reconnect soon. */
  protected dead(why: string): void {
    const error = new ContinuumError('HEARTBEAT_TIMEOUT', `link presumed dead: ${why}`, { retryable: true });
    this.endSocket({ code: 4408, reason: 'heartbeat timeout', wasClean: false, cause: 'heartbeat', error }, { reconnect: true, cause: 'client' }, true);
  }

  /** @internal Ends the current socket (or failed attempt) and decides what comes next. */
  endSocket(end: SocketEnd, forced?: EndDecision, terminate?: boolean, closeCode?: number): void {
    const { transport, policy, owner } = this;
    const now = this.now();
    if (this.state === 'open') {
      this.disconnectedSince = now;
      // Reset backoff only once the connection has proved stable, never on open:
      // resetting early made infinite fast loops elsewhere (centrifuge-js #408).
      if (now - this.establishedAt >= policy.minUptimeMs) this.failures = 0;
    }
    this.transport = this.current = undefined;
    this.timers.clear();
    if (transport && terminate) {
      if (closeCode !== undefined) transport.close(closeCode, end.reason);
      transport.terminate();
    }
    const decision = forced ?? owner.decide(end);
    const gaveUp = !decision.reconnect
      ? undefined
      : this.failures >= policy.maxRetries
        ? new ContinuumError('RECONNECT_EXHAUSTED', `gave up after ${this.failures} failed attempts (maxRetries)`, { cause: end.error })
        : now - this.disconnectedSince >= policy.maxReconnectMs
          ? this.tooLong(end.error)
          : undefined;
    // Error before close, as WHATWG WebSockets report a failed connection.
    const terminal = decision.reconnect ? gaveUp : decision.error;
    if (end.error && end.error !== terminal) owner.failed(end.error);
    // Each callback may close the link: check again after it.
    if (this.isClosed()) return;
    owner.socketEnded(end, decision.reconnect && !gaveUp);
    if (this.isClosed()) return;
    if (!decision.reconnect || gaveUp) {
      if (terminal) owner.failed(terminal);
      return this.stop(gaveUp ? 'gave up' : `closed ${end.code}`);
    }
    this.setState('lost', `${end.cause} ${end.code}`);
    const attempt = ++this.failures;
    const delay = Math.round(
      reconnectDelay(attempt, attempt > 1 && decision.cause !== 'slow-down' ? 'failed-attempt' : decision.cause, policy.backoff, policy.random, decision.hint),
    );
    owner.retryScheduled?.(attempt, delay, `${end.cause} ${end.code}${end.reason ? ` ${end.reason}` : ''}`);
    if (this.isClosed()) return;
    this.retrying = true;
    this.timers.timeout(
      () => {
        if (this.now() - this.disconnectedSince < policy.maxReconnectMs) return void this.attempt();
        owner.failed(this.tooLong());
        this.stop('gave up');
      },
      Math.min(delay, policy.maxReconnectMs - (now - this.disconnectedSince)),
    );
  }

  // ---- internals ---------------------------------------------------------------------

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private setState(event: StateEvent, reason: string): void {
    const previous = this.state;
    const next = transition(previous, event);
    if (next === undefined || next === previous) return;
    this.state = next;
    this.owner.stateChanged?.(next, previous, reason);
  }

  private stop(reason: string): void {
    this.transport = this.current = undefined;
    this.retrying = false;
    this.timers.clear();
    this.setState('stop', reason);
  }

  private tooLong(cause?: unknown): ContinuumError {
    return new ContinuumError('RECONNECT_EXHAUSTED', `no connection for ${this.policy.maxReconnectMs} ms (maxReconnectMs)`, { cause });
  }

  private async attempt(): Promise<void> {
    const attempt = (this.current = new Attempt(this));
    this.retrying = false;
    this.timers.clear(); // the retry wait, when skipped
    this.attempts++;
    const { connectTimeoutMs } = this.policy;
    const fail = (error: ContinuumError) => {
      if (attempt !== this.current) return;
      // With a socket, end it; before one existed (provider or constructor threw), end the attempt.
      if (this.transport) this.endSocket({ code: 4008, reason: 'connect timeout', wasClean: false, cause: 'timeout', error }, undefined, true);
      else this.endSocket({ code: 1006, reason: error.message, wasClean: false, cause: 'error', error }, error.retryable ? undefined : { reconnect: false, error });
    };
    this.timers.timeout(() => fail(new ContinuumError('CONNECT_TIMEOUT', `no handshake within ${connectTimeoutMs} ms`, { retryable: true })), connectTimeoutMs);
    let url: string | undefined;
    try {
      const target = await resolve(this.url);
      const protocols = await resolve(this.protocols);
      if (attempt !== this.current) return;
      url = attempt.url = target;
      const transport = this.factory(url, protocols, attempt);
      if (attempt === this.current) this.transport = transport; // else it failed at once
    } catch (cause) {
      fail(
        url === undefined
          ? new ContinuumError('INVALID_ARGUMENT', `the url or protocols provider failed: ${String(cause)}`, { retryable: true, cause })
          : new ContinuumError('INVALID_ARGUMENT', `could not open a WebSocket to ${url}: ${String(cause)}`, { cause }),
      );
    }
  }

  private armHeartbeat(): void {
    const plan = this.heartbeat;
    const { pingEveryMs, deadAfterMs } = plan;
    const attempt = this.current;
    // A timer of an earlier socket or plan does nothing and schedules nothing.
    const live = () => attempt === this.current && plan === this.heartbeat;
    const tick = () => {
      if (!live()) return;
      this.owner.ping();
      this.timers.timeout(tick, pingEveryMs);
    };
    // Timestamps decide, not the timer: a timer that fires late (a throttled
    // background tab) re-checks the last inbound time instead of killing a
    // healthy link (socket.io #4040, centrifugo #900).
    const check = () => {
      if (!live()) return;
      const silentMs = this.now() - this.lastInboundAt;
      if (silentMs >= deadAfterMs) this.dead(`no inbound traffic for ${silentMs} ms`);
      else this.timers.timeout(check, deadAfterMs - silentMs);
    };
    if (pingEveryMs > 0) this.timers.timeout(tick, pingEveryMs);
    if (deadAfterMs > 0) this.timers.timeout(check, deadAfterMs);
  }
}

/** The link of `Client`: adds the checks a session client makes and the reconnect count. */
export class Link extends BaseLink {
  private opens = 0;

  /** Successful handshakes after the first one. */
  get reconnects(): number {
    return Math.max(0, this.opens - 1);
  }

  override established(): void {
    this.opens++;
    super.established();
  }

  /**
   * Check the link now (the network changed, the page became visible): ping, and
   * declare it dead if nothing arrives within `withinMs`.
   */
  probe(withinMs: number): void {
    const attempt = this.current;
    if (this.state !== 'open' || !attempt) return;
    const sentAt = this.now();
    this.owner.ping();
    if (attempt !== this.current) return; // the ping closed the link
    this.timers.timeout(() => {
      if (attempt === this.current && this.lastInboundAt < sentAt) this.dead('probe unanswered');
    }, withinMs);
  }

  /** The owner saw a fatal problem on this socket (protocol violation, refused handshake). */
  drop(code: number, reason: string, error?: ContinuumError): void {
    if (this.transport) this.endSocket({ code, reason, wasClean: false, cause: 'local', ...(error && { error }) }, undefined, true, code);
  }
}

/**
 * One socket attempt: the handlers its transport calls, and what belongs to that
 * socket alone. Once the link moved on (`link.current` is another attempt), its
 * callbacks are stale and ignored, except the close that `close()` waits for.
 */
class Attempt implements TransportHandlers {
  url = '';
  /** The transport's first error (the cause; later ones follow from it), reported with the close that follows. */
  failure: ContinuumError | undefined = undefined;
  /** Set by `close()`: called when this socket reports its close. */
  closed: (() => void) | undefined = undefined;

  constructor(private readonly link: BaseLink) {}

  open(): void {
    const link = this.link;
    if (this !== link.current) return;
    link.lastInboundAt = link.now();
    link.owner.socketOpened(link.transport!, this.url);
  }

  message(data: string | Uint8Array): void {
    const link = this.link;
    if (this !== link.current) return;
    link.lastInboundAt = link.now();
    link.owner.socketMessage(data);
  }

  error(error: ContinuumError): void {
    if (this === this.link.current) this.failure ??= error;
  }

  close(code: number, reason: string, wasClean: boolean): void {
    if (this === this.link.current) {
      const error = this.failure;
      this.link.endSocket({ code, reason, wasClean, cause: error ? 'error' : 'remote', ...(error && { error }) });
    } else this.closed?.();
  }
}

async function resolve<T>(provider: Provider<T>): Promise<T> {
  return typeof provider === 'function' ? (provider as () => T | Promise<T>)() : provider;
}
