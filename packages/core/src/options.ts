import { ContinuumError } from '@continuum/protocol';
import { defaultBackoff, type BackoffOptions } from './backoff.js';
import { systemClock, type Clock } from './clock.js';
import type { LinkPolicy, Provider } from './link.js';
import type { TransportFactory, WebSocketConstructor } from './transport.js';

/** What happens to an outbox that is full when the app sends again. */
export type OverflowPolicy = 'reject' | 'drop-oldest';

/** The close a `shouldReconnect` callback is asked about. */
export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
  /** The HTTP status of a refused upgrade, where the platform shows it (Node; browsers only see 1006). */
  status?: number;
}

/** Options shared by `Client` and `ReconnectingWebSocket`. Every field is optional. */
export interface ConnectionOptions {
  /** Reconnect delays. Partial values are merged into the defaults. */
  backoff?: Partial<BackoffOptions>;
  /** Failed reconnect attempts in a row before giving up (`RECONNECT_EXHAUSTED`). @default Infinity */
  maxRetries?: number;
  /** Give up after this long without a connection, ms. @default Infinity */
  maxReconnectMs?: number;
  /** Deadline for one attempt: socket open plus handshake, ms. @default 10000 */
  connectTimeoutMs?: number;
  /** Backoff resets only after a connection stayed up this long, ms. @default 5000 */
  minUptimeMs?: number;
  /**
   * Overrides the close-code policy: return true to reconnect, false to stop,
   * undefined to keep the default for this code.
   */
  shouldReconnect?: (close: CloseInfo) => boolean | undefined;
  /** A WHATWG-compatible WebSocket constructor (Deno, Bun, workers, React Native). Adapters pass their own. */
  WebSocket?: WebSocketConstructor;
  /** A lower-level socket factory; adapters use it to expose platform details (HTTP status of a refused upgrade). */
  transport?: TransportFactory;
  /** Injected time, for tests. @default the system clock */
  clock?: Clock;
  /** Random source in [0, 1), drawn per reconnect attempt. @default Math.random */
  random?: () => number;
}

/**
 * Turns app values into message payloads and back. `encode` runs in `send()`
 * (a throw there is a programmer error: `send()` throws INVALID_ARGUMENT);
 * `decode` runs on every received message (a throw there is an `error` event
 * with code DECODE_FAILED and the raw payload on `error.data`; the stream goes on).
 */
export interface Codec<TSend = unknown, TReceive = unknown> {
  encode(value: TSend): string | Uint8Array;
  decode(data: string | Uint8Array): TReceive;
}

export interface ClientOptions extends ConnectionOptions {
  /** `'json'` to send and receive objects, or a custom codec. Strings and bytes pass through unchanged without one. */
  codec?: 'json' | Codec<any, any>;
  /** Extra subprotocols offered after `continuum.v1`. */
  protocols?: Provider<string[]>;
  /** Credential provider, called before every attempt and when the server asks for a refresh; sent in the hello. */
  token?: Provider<string>;
  /**
   * Liveness. The server's pings (interval advertised in the handshake) drive it;
   * set `intervalMs` to also ping from the client, for faster detection of a
   * half-open link. The link is dead after `min(server interval, intervalMs) + timeoutMs`
   * of inbound silence.
   */
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  /** Bound of the messages accepted but not yet acknowledged. */
  outbox?: {
    /** @default 1000 */
    maxMessages?: number;
    /** @default 4194304 (4 MiB) */
    maxBytes?: number;
    /** `'reject'`: the new send rejects `OUTBOX_FULL`; `'drop-oldest'`: the oldest unsent message rejects `EVICTED`. @default 'reject' */
    overflow?: OverflowPolicy;
  };
  /** Largest message this client sends, bytes; the server's limit from the handshake applies when smaller. @default 1048576 */
  maxMessageBytes?: number;
  /**
   * After a session was lost, messages the server never acknowledged are sent again
   * with an idempotency key (`'resend'`) or rejected with `SESSION_LOST` (`'reject'`).
   * @default 'resend'
   */
  onSessionLost?: 'resend' | 'reject';
  /** Coalesce sends of one event-loop turn into one frame. Off only for debugging with a frame inspector. @default true */
  batch?: boolean;
  /** Connect in the constructor. @default true */
  autoConnect?: boolean;
}

export interface ResolvedClientOptions {
  backoff: BackoffOptions;
  maxRetries: number;
  maxReconnectMs: number;
  connectTimeoutMs: number;
  minUptimeMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  outboxMaxMessages: number;
  outboxMaxBytes: number;
  overflow: OverflowPolicy;
  maxMessageBytes: number;
  onSessionLost: 'resend' | 'reject';
  batch: boolean;
  autoConnect: boolean;
  clock: Clock;
  random: () => number;
}

/** Throws INVALID_ARGUMENT in the one shape every option check shares: name, what it must be, what it got. */
export function invalid(name: string, expected: string, value: unknown): never {
  const got = typeof value == 'string' ? JSON.stringify(value) : value && typeof value == 'object' ? 'an object' : String(value);
  throw new ContinuumError('INVALID_ARGUMENT', `${name} must be ${expected}, got ${got}`);
}

/** Checks a number option: finite (or Infinity where allowed), within bounds. */
export function numberOption(name: string, value: unknown, fallback: number, min: number, allowInfinity = false): number {
  if (value === undefined) return fallback;
  if (typeof value != 'number' || !(value >= min) || (value == Infinity && !allowInfinity))
    invalid(name, `a number >= ${min}${allowInfinity ? ' (or Infinity)' : ''}`, value);
  return value as number;
}

/**
 * `defaults` with the numbers `source` sets for the keys of `mins`, each checked: a
 * number, at least its minimum, and finite unless its default is Infinity.
 * Returns `defaults` itself (shared) when `source` sets none of them: an idle
 * connection on default options then holds no policy object of its own.
 */
export function numbers<T extends object>(prefix: string, source: object, defaults: T, mins: { [K in keyof T]?: number }): T {
  let out: any = defaults;
  for (const key in mins) {
    const value = (source as any)[key];
    if (value === undefined) continue;
    if (out === defaults) out = { ...defaults };
    out[key] = numberOption(prefix + key, value, 0, mins[key]!, defaults[key] == Infinity);
  }
  return out;
}

/** `value`, one of `allowed`; the first when unset. */
function oneOf<T extends string>(name: string, value: T | undefined, allowed: T[]): T {
  const v = value ?? allowed[0];
  return allowed.includes(v) ? v : invalid(name, `one of ${allowed.join(', ')}`, v);
}

/** Options a caller must pass as an object (or leave unset). */
export function checkObject(name: string, value: unknown): void {
  if (typeof value != 'object' || !value) invalid(name, 'an object', value);
}

/**
 * Unknown keys are typos or another library's names (`reconnectionDelayMax`): an
 * error that lists the keys there are, not a default the app never asked for.
 * `undefined` values are ignored, as everywhere in the options.
 */
export function checkKeys(name: string, value: unknown, known: string): void {
  if (value === undefined) return;
  checkObject(name || 'options', value);
  const keys = known.split(' ');
  for (const key in value as object)
    if ((value as Record<string, unknown>)[key] !== undefined && !keys.includes(key))
      throw new ContinuumError('INVALID_ARGUMENT', `unknown option ${name ? `${name}.` : ''}${key}; ${name || 'the options'} take ${keys.join(', ')}`);
}

/** The top-level options `Client` and `ReconnectingWebSocket` share. */
export const connectionKeys = 'backoff maxRetries maxReconnectMs connectTimeoutMs minUptimeMs shouldReconnect WebSocket transport clock random';

export function resolveBackoff(backoff: Partial<BackoffOptions> | undefined): BackoffOptions {
  if (backoff === undefined) return defaultBackoff;
  checkKeys('backoff', backoff, 'initialMs maxMs factor jitter spreadMs fastMs');
  return {
    ...numbers('backoff.', backoff, defaultBackoff, { initialMs: 0, maxMs: 0, factor: 1, spreadMs: 0, fastMs: 0 }),
    jitter: oneOf('backoff.jitter', backoff.jitter, ['full', 'equal', 'none']),
  };
}

/** Validates the URL (or checks that a provider is a function). */
export function checkUrl(url: unknown): void {
  try {
    if (typeof url == 'function' || (typeof url == 'string' && /^wss?:$/.test(new URL(url).protocol))) return;
  } catch {
    /* not a URL: reported below */
  }
  invalid('url', 'a ws:// or wss:// URL, or a function returning one', url);
}

/** The reconnect policy when no option changes it: one frozen object shared by every connection. */
const defaultPolicy: LinkPolicy = /* @__PURE__ */ Object.freeze({
  backoff: defaultBackoff,
  maxRetries: Infinity,
  maxReconnectMs: Infinity,
  connectTimeoutMs: 10_000,
  minUptimeMs: 5000,
  clock: systemClock,
  random: Math.random,
});

export function resolveConnectionOptions(o: ConnectionOptions): LinkPolicy {
  for (const name of ['shouldReconnect', 'random'] as const)
    if (o[name] !== undefined && typeof o[name] != 'function') invalid(name, 'a function', o[name]);
  const { backoff, clock, random } = o;
  const policy = numbers('', o, defaultPolicy, { maxRetries: 0, maxReconnectMs: 0, connectTimeoutMs: 1, minUptimeMs: 0 });
  return backoff === undefined && clock === undefined && random === undefined
    ? policy
    : { ...policy, backoff: resolveBackoff(backoff), clock: clock ?? systemClock, random: random ?? Math.random };
}

export function resolveClientOptions(o: ClientOptions = {}): ResolvedClientOptions {
  checkKeys('', o, `${connectionKeys} codec protocols token heartbeat outbox maxMessageBytes onSessionLost batch autoConnect`);
  checkKeys('heartbeat', o.heartbeat, 'intervalMs timeoutMs');
  checkKeys('outbox', o.outbox, 'maxMessages maxBytes overflow');
  const heartbeat = o.heartbeat ?? {};
  const outbox = o.outbox ?? {};
  return {
    ...resolveConnectionOptions(o),
    heartbeatIntervalMs: numberOption('heartbeat.intervalMs', heartbeat.intervalMs, 0, 0),
    heartbeatTimeoutMs: numberOption('heartbeat.timeoutMs', heartbeat.timeoutMs, 10_000, 1),
    outboxMaxMessages: numberOption('outbox.maxMessages', outbox.maxMessages, 1000, 1),
    outboxMaxBytes: numberOption('outbox.maxBytes', outbox.maxBytes, 4 * 1024 * 1024, 1),
    overflow: oneOf('outbox.overflow', outbox.overflow, ['reject', 'drop-oldest']),
    maxMessageBytes: numberOption('maxMessageBytes', o.maxMessageBytes, 1024 * 1024, 1),
    onSessionLost: oneOf('onSessionLost', o.onSessionLost, ['resend', 'reject']),
    batch: o.batch ?? true,
    autoConnect: o.autoConnect ?? true,
  };
}
