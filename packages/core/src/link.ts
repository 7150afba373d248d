// The reconnecting connection layer shared by `Client` and `ReconnectingWebSocket`:
// one socket at a time, the state machine, backoff, connect deadline, liveness.
// It knows nothing of the Continuum protocol: the owner (a `LinkOwner`) says when
// a socket counts as established, what a close means, and how to ping.
import { ContinuumError } from '@continuum/protocol';
import { reconnectDelay, type BackoffOptions, type LossCause } from './backoff.js';
import type { Clock } from './clock.js';
import { Scope } from './scope.js';
import { transition, type ConnectionState, type StateEvent } from './state.js';
import type { Transport, TransportFactory } from './transport.js';

export type Provider<T> = T | (() => T | Promise<T>);

export interface LinkOptions {
  url: Provider<string>;
  protocols: Provider<string[]>;
  transport: TransportFactory;
  backoff: BackoffOptions;
  maxRetries: number;
  maxReconnectMs: number;
  connectTimeoutMs: number;
  minUptimeMs: number;
  clock: Clock;
  random: () => number;
}

/** Why a socket ended, as the link saw it. */
export interface SocketEnd {
  code: number;
  reason: string;
  wasClean: boolean;
  /** `remote`: the peer or network closed it; `timeout`: no handshake in time; `heartbeat`: inbound silence; `local`: the owner dropped it. */
  cause: 'remote' | 'timeout' | 'heartbeat' | 'local' | 'error';
  error?: ContinuumError;
  /** The URL the socket was opened with (so an owner can tell a refused credential). */
  url: string;
  /** How long it had been established, ms; undefined if it never was. */
  uptimeMs?: number;
}

/** What the owner decides after a socket ended. */
export type EndDecision =
  | { reconnect: true; cause: LossCause; hint?: { minMs: number; maxMs: number } }
  | { reconnect: false; error?: ContinuumError };

export interface LinkOwner {
  /** The socket is open; the owner may run a handshake, then call `established()`. */
  socketOpened(transport: Transport, url: string): void;
  socketMessage(data: string | Uint8Array): void;
  /** Decide what the end of a socket means (pure: no events yet). */
  decide(end: SocketEnd): EndDecision;
  /** Report the end (the owner emits its `close` event here). */
  socketEnded(end: SocketEnd, willReconnect: boolean): void;
  stateChanged(state: ConnectionState, previous: ConnectionState, reason: string): void;
  retryScheduled(attempt: number, delayMs: number, reason: string): void;
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

export class Link {
  state: ConnectionState = 'closed';
  transport: Transport | undefined;
  attempts = 0;
  reconnects = 0;
  lastInboundAt = 0;

  private readonly scope: Scope;
  private socketScope: Scope;
  /** Heartbeat timers of the current socket; re-armed when the plan changes. */
  private beatScope: Scope;
  private failures = 0;
  private attemptToken = 0;
  private wasEverOpen = false;
  private establishedAt = 0;
  private disconnectedSince = 0;
  private url = '';
  private heartbeat: HeartbeatPlan = { pingEveryMs: 0, deadAfterMs: 0 };
  private cancelRetry: (() => void) | undefined;

  constructor(
    private readonly options: LinkOptions,
    private readonly owner: LinkOwner,
  ) {
    this.scope = new Scope(options.clock);
    this.socketScope = new Scope(options.clock);
    this.beatScope = new Scope(options.clock);
  }

  /** From `closed`: start connecting. */
  connect(reason = 'connect'): void {
    if (this.state !== 'closed') return;
    this.failures = 0;
    this.disconnectedSince = this.options.clock.now();
    this.setState('connect', reason);
    void this.attempt();
  }

  /** Drop the current socket (if any) and try again now, whatever the backoff step. */
  reconnect(reason = 'reconnect'): void {
    if (this.state === 'closed') return this.connect(reason);
    this.failures = 0;
    if (this.transport) {
      this.endSocket({ code: 4000, reason, wasClean: false, cause: 'local' }, { reconnect: true, cause: 'client' }, true);
    } else {
      this.attemptNow();
    }
  }

  /** Skip the pending backoff wait (e.g. the browser came back online). */
  attemptNow(): void {
    if (this.cancelRetry) {
      this.cancelRetry();
      this.cancelRetry = undefined;
      void this.attempt();
    }
  }

  /** The owner's handshake completed on the current socket. */
  established(): void {
    const now = this.options.clock.now();
    this.socketScope.dispose(); // the connect deadline
    this.socketScope = new Scope(this.options.clock);
    this.establishedAt = now;
    this.lastInboundAt = now;
    if (this.wasEverOpen) this.reconnects++;
    this.wasEverOpen = true;
    const token = this.attemptToken;
    // Reset backoff only once the connection has proved stable, never on open:
    // resetting early made infinite fast loops elsewhere (centrifuge-js #408).
    this.socketScope.timeout(() => {
      if (token === this.attemptToken) this.failures = 0;
    }, this.options.minUptimeMs);
    this.setState('established', 'handshake complete');
    this.armHeartbeat();
  }

  /** Liveness plan for the current and later sockets. */
  setHeartbeat(plan: HeartbeatPlan): void {
    this.heartbeat = plan;
    if (this.state === 'open') this.armHeartbeat();
  }

  /**
   * Check the link now (the network changed, the page became visible): ping, and
   * declare it dead if nothing arrives within `withinMs`.
   */
  probe(withinMs: number): void {
    if (this.state !== 'open' || !this.transport) return;
    const sentAt = this.options.clock.now();
    this.owner.ping();
    const token = this.attemptToken;
    this.socketScope.timeout(() => {
      if (token === this.attemptToken && this.lastInboundAt < sentAt) this.dead('probe unanswered');
    }, withinMs);
  }

  /** The owner saw a fatal problem on this socket (protocol violation, refused handshake). */
  drop(code: number, reason: string, error?: ContinuumError): void {
    if (!this.transport) return;
    this.endSocket({ code, reason, wasClean: false, cause: 'local', ...(error && { error }) }, undefined, true, code);
  }

  /**
   * Stop for good. Starts the closing handshake on an open socket and resolves
   * once it closed, or after `graceMs` when the peer does not answer (then the
   * socket is dropped), so nothing lingers.
   */
  close(code: number, reason: string, why = 'closed by the app', graceMs = 1000): Promise<void> {
    const transport = this.transport;
    this.transport = undefined;
    this.attemptToken++;
    this.stop(why);
    if (!transport) return Promise.resolve();
    return new Promise((resolve) => {
      const handle = this.options.clock.setTimeout(() => {
        transport.terminate();
        resolve();
      }, graceMs);
      (handle as { unref?: () => void }).unref?.();
      this.closingDone = () => {
        this.options.clock.clearTimeout(handle);
        resolve();
      };
      try {
        transport.close(code, reason);
      } catch {
        transport.terminate();
        this.closingDone?.();
      }
    });
  }

  private closingDone: (() => void) | undefined;

  dispose(): void {
    this.attemptToken++;
    this.scope.dispose();
    this.socketScope.dispose();
    this.beatScope.dispose();
    this.transport?.terminate();
    this.transport = undefined;
  }

  // ---- internals ---------------------------------------------------------------------

  /** Re-read after callbacks into the owner, which may have closed the link. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private setState(event: StateEvent, reason: string): void {
    const next = transition(this.state, event);
    if (next === undefined) return;
    const previous = this.state;
    this.state = next;
    if (next !== previous) this.owner.stateChanged(next, previous, reason);
  }

  private stop(reason: string): void {
    this.cancelRetry = undefined;
    this.scope.clear();
    this.socketScope.dispose();
    this.socketScope = new Scope(this.options.clock);
    this.beatScope.dispose();
    this.setState('stop', reason);
  }

  private async attempt(): Promise<void> {
    const token = ++this.attemptToken;
    this.cancelRetry = undefined;
    this.attempts++;
    const { clock } = this.options;
    this.socketScope.dispose();
    this.socketScope = new Scope(clock);
    this.socketScope.timeout(() => {
      if (token !== this.attemptToken) return;
      const error = new ContinuumError(
        'CONNECT_TIMEOUT',
        `no handshake within ${this.options.connectTimeoutMs} ms`,
        { retryable: true },
      );
      if (this.transport) this.endSocket({ code: 4008, reason: 'connect timeout', wasClean: false, cause: 'timeout', error }, undefined, true);
      else this.failAttempt(error);
    }, this.options.connectTimeoutMs);

    let url: string;
    let protocols: string[];
    try {
      url = await resolve(this.options.url);
      protocols = await resolve(this.options.protocols);
    } catch (cause) {
      if (token === this.attemptToken)
        this.failAttempt(new ContinuumError('INVALID_ARGUMENT', `the url or protocols provider failed: ${String(cause)}`, { retryable: true, cause }));
      return;
    }
    if (token !== this.attemptToken || this.state === 'closed') return;
    this.url = url;
    let transport: Transport;
    try {
      transport = this.options.transport(url, protocols, {
        open: () => {
          if (token !== this.attemptToken) return;
          this.lastInboundAt = clock.now();
          this.owner.socketOpened(transport, url);
        },
        message: (data) => {
          if (token !== this.attemptToken) return;
          this.lastInboundAt = clock.now();
          this.owner.socketMessage(data);
        },
        error: (error) => {
          if (token !== this.attemptToken) return;
          this.pendingError = error;
        },
        close: (code, reason, wasClean) => {
          if (token !== this.attemptToken) {
            if (this.closingDone) {
              this.closingDone();
              this.closingDone = undefined;
            }
            return;
          }
          const error = this.pendingError;
          this.pendingError = undefined;
          this.endSocket({ code, reason, wasClean, cause: error ? 'error' : 'remote', ...(error && { error }) });
        },
      });
    } catch (cause) {
      this.failAttempt(new ContinuumError('INVALID_ARGUMENT', `could not open a WebSocket to ${url}: ${String(cause)}`, { cause }));
      return;
    }
    this.transport = transport;
  }

  private pendingError: ContinuumError | undefined;

  /** An attempt failed before a socket existed (provider threw, constructor threw). */
  private failAttempt(error: ContinuumError): void {
    this.endSocket({ code: 1006, reason: error.message, wasClean: false, cause: 'error', error }, error.retryable ? undefined : { reconnect: false, error });
  }

  private endSocket(end: Omit<SocketEnd, 'url'>, forced?: EndDecision, terminate = false, closeCode?: number): void {
    const transport = this.transport;
    this.transport = undefined;
    this.attemptToken++;
    this.socketScope.dispose();
    this.socketScope = new Scope(this.options.clock);
    this.beatScope.dispose();
    if (transport && terminate) {
      if (closeCode !== undefined && closeCode !== 4000) transport.close(closeCode, end.reason);
      transport.terminate();
    }
    const now = this.options.clock.now();
    const full: SocketEnd = {
      ...end,
      url: this.url,
      ...(this.state === 'open' && { uptimeMs: now - this.establishedAt }),
    };
    if (this.state === 'open') this.disconnectedSince = now;
    const decision = forced ?? this.owner.decide(full);
    let willReconnect = decision.reconnect;
    let gaveUp: ContinuumError | undefined;
    if (willReconnect && this.failures >= this.options.maxRetries) {
      willReconnect = false;
      gaveUp = new ContinuumError('RECONNECT_EXHAUSTED', `gave up after ${this.failures} failed reconnect attempts (maxRetries)`, { cause: end.error });
    } else if (willReconnect && now - this.disconnectedSince >= this.options.maxReconnectMs) {
      willReconnect = false;
      gaveUp = new ContinuumError('RECONNECT_EXHAUSTED', `no connection for ${this.options.maxReconnectMs} ms (maxReconnectMs)`, { cause: end.error });
    }
    // Error before close, as WHATWG WebSockets report a failed connection.
    const terminal = decision.reconnect ? undefined : decision.error;
    if (end.error && end.error !== terminal) this.owner.failed(end.error);
    if (this.isClosed()) return; // an error listener closed the client
    this.owner.socketEnded(full, willReconnect);
    if (this.isClosed()) return; // a close listener closed the client
    if (!willReconnect) {
      const error = gaveUp ?? terminal;
      if (error) this.owner.failed(error);
      this.stop(gaveUp ? 'gave up' : `closed ${full.code}`);
      return;
    }
    this.setState('lost', `${full.cause} ${full.code}`);
    if (decision.reconnect) this.schedule(decision.cause, decision.hint, full);
  }

  private schedule(cause: LossCause, hint: { minMs: number; maxMs: number } | undefined, end: SocketEnd): void {
    const attempt = ++this.failures;
    const effectiveCause = attempt > 1 && cause !== 'slow-down' ? 'failed-attempt' : cause;
    const delay = Math.round(reconnectDelay(attempt, effectiveCause, this.options.backoff, this.options.random, hint));
    const reason = `${end.cause} ${end.code}${end.reason ? ` ${end.reason}` : ''}`;
    this.owner.retryScheduled(attempt, delay, reason);
    if (this.state === 'closed') return; // a retry listener closed the client
    const maxLeft = this.options.maxReconnectMs - (this.options.clock.now() - this.disconnectedSince);
    this.cancelRetry = this.scope.timeout(() => {
      this.cancelRetry = undefined;
      if (this.options.clock.now() - this.disconnectedSince >= this.options.maxReconnectMs) {
        this.owner.failed(new ContinuumError('RECONNECT_EXHAUSTED', `no connection for ${this.options.maxReconnectMs} ms (maxReconnectMs)`));
        this.stop('gave up');
        return;
      }
      void this.attempt();
    }, Math.min(delay, Math.max(0, maxLeft)));
  }

  private armHeartbeat(): void {
    this.beatScope.dispose();
    this.beatScope = new Scope(this.options.clock);
    const { pingEveryMs, deadAfterMs } = this.heartbeat;
    const token = this.attemptToken;
    const scope = this.beatScope;
    const clock = this.options.clock;
    if (pingEveryMs > 0) {
      const tick = () => {
        if (token !== this.attemptToken) return;
        this.owner.ping();
        scope.timeout(tick, pingEveryMs);
      };
      scope.timeout(tick, pingEveryMs);
    }
    if (deadAfterMs > 0) {
      // Timestamps decide, not the timer: a timer that fires late (a throttled
      // background tab) re-checks the last inbound time instead of killing a
      // healthy link (socket.io #4040, centrifugo #900).
      const check = () => {
        if (token !== this.attemptToken) return;
        const silentMs = clock.now() - this.lastInboundAt;
        if (silentMs >= deadAfterMs) this.dead(`no inbound traffic for ${silentMs} ms`);
        else scope.timeout(check, deadAfterMs - silentMs);
      };
      scope.timeout(check, deadAfterMs);
    }
  }

  private dead(why: string): void {
    const error = new ContinuumError('HEARTBEAT_TIMEOUT', `link presumed dead: ${why}`, { retryable: true });
    this.endSocket({ code: 4408, reason: 'heartbeat timeout', wasClean: false, cause: 'heartbeat', error }, { reconnect: true, cause: 'client' }, true);
  }
}

async function resolve<T>(provider: Provider<T>): Promise<T> {
  return typeof provider === 'function' ? await (provider as () => T | Promise<T>)() : provider;
}
