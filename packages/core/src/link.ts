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
// comparison at the next loss rather than a pending timer. Every field is given a value
// in the constructor, so all links (and attempts) share one object shape.
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
  /** One subprotocol or a list. */
  protocols: Provider<string | string[]>;
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
  error?: ContinuumError | undefined;
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

/** The link itself noticed the loss (or was told to drop the socket): reconnect soon, no owner to ask. */
const soon: EndDecision = { reconnect: true, cause: 'client' };

export class BaseLink {
  state: ConnectionState = 'closed';
  transport: Transport | undefined = undefined;
  attempts = 0;
  lastInboundAt = 0;
  /** @internal The attempt in progress or open; callbacks of any other attempt are stale. */
  current: Attempt | undefined = undefined;
  /** Failed attempts since the last stable connection (the backoff step). */
  private failures = 0;
  /** Successful handshakes. */
  protected opens = 0;
  /** When the current connection was established, and when the link was last without one. */
  private upSince = 0;
  private downSince = 0;
  /** A retry timer is pending. */
  private retrying = false;
  private heartbeat = noHeartbeat;
  /**
   * Every timer of the link. Only one kind is ever pending: the retry wait, or the
   * connect deadline, or (while open) the heartbeat and probes; each step clears the last.
   */
  protected readonly timers: Scope;

  /** `policy` defaults to `options` itself; an owner on the default policy passes the shared one. */
  constructor(
    private readonly target: LinkTarget & Partial<LinkPolicy>,
    /** @internal */ readonly owner: LinkOwner,
    private readonly policy: LinkPolicy = target as LinkOptions,
  ) {
    this.timers = new Scope(policy.clock);
  }

  /** @internal */
  now(): number {
    return this.policy.clock.now();
  }

  /** From `closed`: start connecting. */
  connect(reason = 'connect'): void {
    if (this.state !== 'closed') return;
    this.failures = 0;
    this.downSince = this.now();
    this.setState('connect', reason);
    void this.attempt();
  }

  /** Drop the current socket (if any) and try again now, whatever the backoff step. */
  reconnect(reason = 'reconnect'): void {
    if (this.state === 'closed') return this.connect(reason);
    this.failures = 0;
    if (this.transport) this.endSocket(ended(4000, reason, 'local'), soon, 'terminate');
    else this.attemptNow();
  }

  /** Skip the pending backoff wait (e.g. the browser came back online). */
  attemptNow(): void {
    if (this.retrying) void this.attempt();
  }

  /** The owner's handshake completed on the current socket. */
  established(): void {
    this.opens++;
    this.timers.clear(); // the connect deadline
    this.upSince = this.lastInboundAt = this.now();
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
  close(code: number, reason: string, why: string, graceMs = 1000): Promise<void> {
    const { transport, current } = this;
    this.stop(why);
    return new Promise((resolve) => {
      if (!transport) return resolve(); // with a socket there is always its attempt
      const { clock } = this.policy;
      const done = (current!.closed = () => {
        clock.clearTimeout(handle);
        resolve();
      });
      const drop = () => {
        transport.terminate();
        done();
      };
      const handle = clock.setTimeout(drop, graceMs);
      (handle as { unref?: () => void }).unref?.();
      try {
        transport.close(code, reason);
      } catch {
        drop();
      }
    });
  }

  /** The link is dead (heartbeat, unanswered probe): drop the socket, reconnect soon. */
  protected dead(why: string): void {
    this.endSocket(ended(4408, 'heartbeat timeout', 'heartbeat', new ContinuumError('HEARTBEAT_TIMEOUT', why, { retryable: true })), soon, 'terminate');
  }

  /**
   * @internal Ends the current socket (or failed attempt) and decides what comes next.
   * `drop`: the socket is still up and must go — `terminate` it, or `close` it with
   * `end.code` first (so the server learns why) and then terminate.
   */
  endSocket(end: SocketEnd, forced?: EndDecision, drop?: 'terminate' | 'close'): void {
    const { transport, policy, owner } = this;
    const now = this.now();
    if (this.state === 'open') {
      this.downSince = now;
      // Reset backoff only once the connection has proved stable, never on open:
      // resetting early made infinite fast loops elsewhere (centrifuge-js #408).
      if (now - this.upSince >= policy.minUptimeMs) this.failures = 0;
    }
    this.reset();
    if (transport && drop) {
      if (drop === 'close') transport.close(end.code, end.reason);
      transport.terminate();
    }
    const decision = forced ?? owner.decide(end);
    const terminal = !decision.reconnect
      ? decision.error
      : this.failures >= policy.maxRetries
        ? exhausted('maxRetries', policy.maxRetries, end.error)
        : this.tooLong(end.error);
    const retry = decision.reconnect && !terminal;
    // Error before close, as WHATWG WebSockets report a failed connection.
    if (end.error && end.error !== terminal) owner.failed(end.error);
    // Each callback may close the link: check again after it.
    if (this.isClosed()) return;
    owner.socketEnded(end, retry);
    if (this.isClosed()) return;
    if (!retry) {
      if (terminal) owner.failed(terminal);
      return this.stop(decision.reconnect ? 'gave up' : `closed ${end.code}`);
    }
    const why = `${end.cause} ${end.code}`;
    this.setState('lost', why);
    // After the first failure, reconnectDelay grows the step whoever noticed the loss.
    const attempt = ++this.failures;
    const delay = Math.round(reconnectDelay(attempt, decision.cause, policy.backoff, policy.random, decision.hint));
    owner.retryScheduled?.(attempt, delay, end.reason ? `${why} ${end.reason}` : why);
    if (this.isClosed()) return;
    this.retrying = true;
    this.timers.timeout(
      () => {
        const error = this.tooLong();
        if (!error) return void this.attempt();
        owner.failed(error);
        this.stop('gave up');
      },
      Math.min(delay, policy.maxReconnectMs - (now - this.downSince)),
    );
  }

  // ---- internals ---------------------------------------------------------------------

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private setState(event: StateEvent, reason: string): void {
    const previous = this.state;
    const next = transition(previous, event);
    if (!next || next === previous) return;
    this.state = next;
    this.owner.stateChanged?.(next, previous, reason);
  }

  /** Forgets the socket and cancels every timer. */
  private reset(): void {
    this.transport = this.current = undefined;
    this.retrying = false;
    this.timers.clear();
  }

  private stop(reason: string): void {
    this.reset();
    this.setState('stop', reason);
  }

  private tooLong(cause?: unknown): ContinuumError | undefined {
    const max = this.policy.maxReconnectMs;
    if (this.now() - this.downSince >= max) return exhausted('maxReconnectMs', max, cause);
  }

  private async attempt(): Promise<void> {
    const attempt = (this.current = new Attempt(this));
    this.retrying = false;
    this.timers.clear(); // the retry wait, when skipped
    this.attempts++;
    const { connectTimeoutMs } = this.policy;
    const { url, protocols, transport } = this.target;
    let href: string | undefined;
    this.timers.timeout(() => attempt.fail(new ContinuumError('CONNECT_TIMEOUT', `no handshake within ${connectTimeoutMs} ms`, { retryable: true })), connectTimeoutMs);
    try {
      const resolved = await resolve(url);
      const list = await resolve(protocols);
      if (attempt !== this.current) return;
      const socket = transport((href = attempt.url = resolved), [list].flat(), attempt);
      if (attempt === this.current) this.transport = socket; // else it failed at once
    } catch (cause) {
      // A failing provider may recover; a URL the WebSocket constructor refuses will not.
      attempt.fail(
        new ContinuumError('INVALID_ARGUMENT', `${href === undefined ? 'the url or protocols provider' : `new WebSocket(${href})`} failed: ${String(cause)}`, {
          retryable: href === undefined,
          cause,
        }),
      );
    }
  }

  /**
   * One timer per open link, whatever the plan: it wakes when the next ping is due or
   * when silence would reach `deadAfterMs`, whichever comes first. A timer of an earlier
   * socket or plan does nothing and schedules nothing.
   */
  private armHeartbeat(): void {
    const plan = this.heartbeat;
    const pingEveryMs = plan.pingEveryMs || Infinity;
    const deadAfterMs = plan.deadAfterMs || Infinity;
    if (pingEveryMs === Infinity && deadAfterMs === Infinity) return;
    const attempt = this.current;
    let pingAt = this.now() + pingEveryMs;
    let dueAt = this.now() + Math.min(pingEveryMs, deadAfterMs);
    /** When a late timer asked for a sign of life instead of declaring the link dead (0: never). */
    let askedAt = 0;
    /** The socket's `bufferedAmount` at the last check. */
    let sending = 0;
    // One closure per open link (what every idle connection with a heartbeat holds), passed to the timer as it is.
    const tick = (): void => {
      if (attempt !== this.current || plan !== this.heartbeat) return;
      const now = this.now();
      // A wall clock stepped back (NTP) must not postpone pings for as long as it stepped.
      if (pingAt - now > pingEveryMs) pingAt = now + pingEveryMs;
      // Bytes of ours leaving the socket mean the peer is taking them: a sign of life
      // too. A pong waits behind a large upload; without this, a long upload to a
      // server that sends nothing would look like a dead link.
      const buffered = this.transport?.bufferedAmount ?? 0;
      if (buffered < sending) this.lastInboundAt = now;
      sending = buffered;
      if (askedAt && this.lastInboundAt >= askedAt) askedAt = 0; // answered
      // Timestamps decide, not the timer: a timer that fires late (a throttled
      // background tab) re-checks the last inbound time instead of killing a
      // healthy link (socket.io #4040, centrifugo #900).
      const silentMs = now - this.lastInboundAt;
      let ping = now >= pingAt;
      if (askedAt) {
        if (now - askedAt >= PROBE_GRACE_MS) return this.dead(`no answer within ${PROBE_GRACE_MS} ms after ${silentMs} ms of silence`);
      } else if (silentMs >= deadAfterMs) {
        // Late by more than a second, the page was frozen or asleep: what arrived
        // meanwhile may still wait to be handed over. Ask (a ping) and decide after a
        // grace period, not now. On time, silence is silence.
        if (now - dueAt <= LATE_MS) return this.dead(`no inbound traffic for ${silentMs} ms`);
        askedAt = now;
        ping = true;
      }
      if (ping) {
        pingAt = now + pingEveryMs;
        this.owner.ping();
        if (attempt !== this.current) return; // the ping ended the link: nothing is left pending
      }
      const ms = Math.min(pingAt - now, askedAt ? askedAt + PROBE_GRACE_MS - now : Math.min(deadAfterMs, deadAfterMs - silentMs));
      dueAt = now + ms;
      this.timers.rearm(tick, ms);
    };
    this.timers.rearm(tick, dueAt - this.now());
  }
}

/** A heartbeat timer later than this was held up (a frozen page, a sleeping laptop), ms. */
const LATE_MS = 1000;
/** How long a late heartbeat timer, or a probe, waits for a sign of life, ms. */
const PROBE_GRACE_MS = 3000;

/** The link of `Client`: adds the checks a session client makes and the reconnect count. */
export class Link extends BaseLink {
  /** Successful handshakes after the first one. */
  get reconnects(): number {
    return Math.max(0, this.opens - 1);
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
      if (attempt === this.current && this.lastInboundAt < sentAt) this.dead(`no answer to a probe within ${withinMs} ms`);
    }, withinMs);
  }

  /** The owner saw a fatal problem on this socket (protocol violation, refused handshake). */
  drop(code: number, reason: string, error?: ContinuumError): void {
    if (this.transport) this.endSocket(ended(code, reason, 'local', error), undefined, 'close');
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
    this.heard()?.socketOpened(this.link.transport!, this.url);
  }

  message(data: string | Uint8Array): void {
    this.heard()?.socketMessage(data);
  }

  pong(): void {
    this.heard();
  }

  /** Inbound traffic on this socket: a sign of life. The owner to tell, unless the attempt is stale. */
  private heard(): LinkOwner | undefined {
    const link = this.link;
    if (this !== link.current) return;
    link.lastInboundAt = link.now();
    return link.owner;
  }

  error(error: ContinuumError): void {
    if (this === this.link.current) this.failure ??= error;
  }

  close(code: number, reason: string, wasClean: boolean): void {
    const error = this.failure;
    if (this === this.link.current) this.link.endSocket(ended(code, reason, error ? 'error' : 'remote', error, wasClean));
    else this.closed?.();
  }

  /**
   * The attempt failed before it was established: no handshake in time (its socket is
   * dropped), or no socket at all (a provider or the constructor threw).
   */
  fail(error: ContinuumError): void {
    const link = this.link;
    if (this !== link.current) return;
    link.endSocket(
      link.transport ? ended(4008, 'connect timeout', 'timeout', error) : ended(1006, error.message, 'error', error),
      error.retryable ? undefined : { reconnect: false, error },
      'terminate',
    );
  }
}

function ended(code: number, reason: string, cause: SocketEnd['cause'], error?: ContinuumError, wasClean = false): SocketEnd {
  return { code, reason, wasClean, cause, error };
}

/** Names the option whose limit was reached, so the app knows which one to raise. */
function exhausted(option: string, limit: number, cause: unknown): ContinuumError {
  return new ContinuumError('RECONNECT_EXHAUSTED', `gave up reconnecting: ${option} (${limit}) reached`, { cause });
}

async function resolve<T>(provider: Provider<T>): Promise<T> {
  return typeof provider === 'function' ? (provider as () => T | Promise<T>)() : provider;
}
