import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { PerMessageDeflateOptions } from 'ws';
import type { ExpiringIdentity } from './expiry.js';
import { LIMIT_DEFAULTS, resolveLimits, type LimitsOptions, type ResolvedLimits } from './limits.js';
import { isLogger, silentLogger, type Logger } from './logger.js';
import { CHANNEL_DEFAULTS, checkAuthorize, resolveChannelOptions, type Authorize, type ChannelOptions } from './channels.js';
import type { SessionStore } from './store.js';

/** What `authenticate` receives. */
export interface AuthenticateContext {
  /**
   * The HTTP upgrade request (headers, cookies, remote address) when a socket connects;
   * undefined for a credential refresh (`refresh: true`): the request is not kept after
   * the handshake, because it would nearly double the memory of an idle session.
   */
  request: IncomingMessage | undefined;
  /**
   * The credential: `hello.auth` (browsers cannot set headers), else an
   * `Authorization: Bearer …` header, else a `?token=` query parameter. For a refresh,
   * the token of the client's `auth` message.
   */
  token: string | undefined;
  /** True when an open socket presents a fresh credential (`auth` message). */
  refresh: boolean;
}

/**
 * Decides who a socket belongs to. Return the identity (any JSON-serializable value;
 * a resume must present the same identity, compared by `JSON.stringify`), or
 * `withExpiry(identity, expiresAt)` when the credential expires (the server then asks
 * the client for a fresh one in-band before it does, see {@link withExpiry}), or refuse:
 * `null`/`undefined`/`false` or `throw new AuthError('expired')` → close 4401,
 * `throw new AuthError('forbidden')` → close 4403. Any other exception → close 1011.
 * Runs on every socket, including resumes, and on a credential refresh (then a refusal
 * closes the socket the same way, and a different identity closes it with 4403).
 */
export type Authenticate<Identity> = (
  context: AuthenticateContext,
) =>
  | Identity
  | ExpiringIdentity<Identity>
  | null
  | undefined
  | false
  | Promise<Identity | ExpiringIdentity<Identity> | null | undefined | false>;

/** Session and replay limits. */
export interface SessionOptions {
  /**
   * How long a session waits for its client to come back after the socket dropped, ms.
   * @default 120000
   */
  ttlMs?: number;
  /**
   * Most unacknowledged server→client messages kept for replay per session; past it the
   * oldest are dropped and a resume that needs them becomes a lost session with a gap.
   * @default 10000
   */
  replayMaxMessages?: number;
  /**
   * Most bytes of unacknowledged server→client payloads kept per session.
   * @default 8388608 (8 MiB)
   */
  replayMaxBytes?: number;
  /**
   * How long an ended session is remembered (its tombstone), ms: within this window a
   * client that lost the session learns the exact gap, and re-sent messages that were
   * already handled are dropped instead of handled twice.
   * @default 600000 (10 min)
   */
  dedupWindowMs?: number;
}

/** Options of `createServer`. Every number has its unit in its name. */
export interface ServerOptions<Identity = unknown> {
  /** TCP port to listen on; 0 picks a free one (read it back from `server.port`). Required unless `server` is given. */
  port?: number;
  /**
   * Interface to listen on. Like `http.Server.listen`, all interfaces when omitted.
   * @default undefined
   */
  host?: string;
  /**
   * Only upgrades to this path are accepted (query strings are ignored). When omitted,
   * any path is.
   * @default undefined
   */
  path?: string;
  /**
   * An existing `http.Server` (or `https.Server`) to attach to. The server then only
   * listens to its `upgrade` event; it neither listens on a port nor answers HTTP
   * requests, unless `routes` is true.
   */
  server?: HttpServer;
  /**
   * Answer `GET /health` and `GET /metrics`. With `server` given, those two paths are
   * answered before the app's own `request` listeners see them.
   * @default true without `server`, false with it
   */
  routes?: boolean;
  /** Who is connecting; see {@link Authenticate}. When omitted every client is accepted with identity `null`. */
  authenticate?: Authenticate<Identity>;
  /**
   * Origins allowed to open a socket, e.g. `['https://app.example.com']`, or a predicate.
   * A request with a foreign `Origin` header gets HTTP 403 before the upgrade; one without
   * the header (not a browser) is allowed. When omitted every origin is allowed.
   */
  allowedOrigins?: readonly string[] | ((origin: string) => boolean);
  /**
   * Largest app message accepted from a client, bytes. A larger one closes the socket
   * with 1009 (the client rejects that message and does not send it again). Also the
   * largest message `session.send()` accepts.
   * @default 1048576 (1 MiB)
   */
  maxMessageBytes?: number;
  /**
   * Largest frame accepted from a client (a batch holds several messages), bytes; the
   * `ws` `maxPayload`. At least `maxMessageBytes + 64`.
   * @default maxMessageBytes + 65536
   */
  maxFrameBytes?: number;
  /**
   * Interval of the server's pings, ms, advertised in the welcome. A socket silent for
   * `2 * pingMs + heartbeatTimeoutMs` is terminated.
   * @default 25000
   */
  pingMs?: number;
  /**
   * Grace on top of two missed pings before a silent socket is reaped, ms.
   * @default 10000
   */
  heartbeatTimeoutMs?: number;
  /**
   * Time from the upgrade to the welcome (hello received and `authenticate` done), ms;
   * past it the socket is closed with 4008.
   * @default 10000
   */
  handshakeTimeoutMs?: number;
  /**
   * How long before a credential from `withExpiry()` expires the client is asked for a
   * fresh one, ms; halfway through its lifetime when that is later (a 40 s token is
   * refreshed after 20 s).
   * @default 30000
   */
  refreshLeadMs?: number;
  /** Session and replay limits. */
  session?: SessionOptions;
  /** Rates, sessions per identity and concurrent handshakes; see {@link LimitsOptions}. */
  limits?: LimitsOptions;
  /**
   * permessage-deflate. Off by default: each compressing socket holds zlib contexts
   * (memory) and spends CPU on every frame, for little gain on small messages. `true`
   * uses `ws`'s defaults (messages under 1 KiB are not compressed); an object is passed
   * to `ws` as is (e.g. `{ threshold: 4096, serverNoContextTakeover: true }`; `ws` applies
   * `threshold` only with `serverNoContextTakeover`). A client
   * must offer it too (`perMessageDeflate: true` in `@continuum/node`; browsers always
   * offer it).
   * @default false
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /**
   * May `session` subscribe to / publish on `channel`? Return `true` (or a promise of it)
   * to allow; see {@link Authorize}. When omitted, every session may do both.
   */
  authorize?: Authorize<Identity>;
  /** Channel history and subscription limits; see {@link ChannelOptions}. */
  channels?: ChannelOptions;
  /** Where sessions and tombstones live. @default createMemoryStore() */
  store?: SessionStore;
  /**
   * Structured logs of the server's lifecycle: listening, sessions started, resumed and
   * ended, handshake refusals, reaped sockets, errors, shutdown. Any object with
   * `debug/info/warn/error(fields, message)` (pino and bunyan fit as they are), or
   * `jsonLogger()` for one JSON object per line on stdout.
   * @default no logs
   */
  logger?: Logger;
}

/** Options after defaults and validation. */
export interface ResolvedOptions<Identity = unknown> {
  port: number | undefined;
  host: string | undefined;
  path: string | undefined;
  server: HttpServer | undefined;
  routes: boolean;
  authenticate: Authenticate<Identity> | undefined;
  isAllowedOrigin: (origin: string) => boolean;
  maxMessageBytes: number;
  maxFrameBytes: number;
  pingMs: number;
  heartbeatTimeoutMs: number;
  handshakeTimeoutMs: number;
  refreshLeadMs: number;
  session: Required<SessionOptions>;
  limits: ResolvedLimits;
  perMessageDeflate: boolean | PerMessageDeflateOptions;
  authorize: Authorize<Identity> | undefined;
  channels: Required<ChannelOptions>;
  store: SessionStore | undefined;
  logger: Logger;
}

/** The defaults, in one place. */
export const DEFAULTS = {
  maxMessageBytes: 1024 * 1024,
  frameEnvelopeBytes: 64 * 1024,
  pingMs: 25_000,
  heartbeatTimeoutMs: 10_000,
  handshakeTimeoutMs: 10_000,
  refreshLeadMs: 30_000,
  session: {
    ttlMs: 120_000,
    replayMaxMessages: 10_000,
    replayMaxBytes: 8 * 1024 * 1024,
    dedupWindowMs: 600_000,
  },
  limits: LIMIT_DEFAULTS,
  perMessageDeflate: false,
  channels: CHANNEL_DEFAULTS,
} as const;

const OPTION_KEYS = new Set([
  'port',
  'host',
  'path',
  'server',
  'routes',
  'authenticate',
  'allowedOrigins',
  'maxMessageBytes',
  'maxFrameBytes',
  'pingMs',
  'heartbeatTimeoutMs',
  'handshakeTimeoutMs',
  'refreshLeadMs',
  'session',
  'limits',
  'perMessageDeflate',
  'authorize',
  'channels',
  'store',
  'logger',
]);
const SESSION_KEYS = new Set(['ttlMs', 'replayMaxMessages', 'replayMaxBytes', 'dedupWindowMs']);
// setTimeout fires at once for anything above 2^31 - 1 ms; refuse rather than surprise.
const MAX_TIMER_MS = 2 ** 31 - 1;

function int(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`createServer: ${name} must be an integer, got ${describe(value)}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`createServer: ${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}

/** Normalizes an origin for comparison: scheme and host are case-insensitive, no trailing slash. */
export function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}

/** Applies the defaults and validates once, so a typo fails at startup with a clear message. */
export function resolveOptions<Identity>(options: ServerOptions<Identity>): ResolvedOptions<Identity> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createServer: options must be an object, e.g. createServer({ port: 8080 })');
  }
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) {
      throw new TypeError(`createServer: unknown option "${key}"; known options: ${[...OPTION_KEYS].join(', ')}`);
    }
  }
  const o = options as Record<string, unknown>;
  const server = o.server;
  if (server !== undefined) {
    const s = server as { on?: unknown; listeners?: unknown };
    if (typeof s !== 'object' || s === null || typeof s.on !== 'function' || typeof s.listeners !== 'function') {
      throw new TypeError('createServer: server must be an http.Server or https.Server');
    }
    if (o.port !== undefined || o.host !== undefined) {
      throw new TypeError('createServer: pass either server (already created) or port/host (to listen), not both');
    }
  } else if (o.port === undefined) {
    throw new TypeError('createServer: pass port (0 picks a free one) or an existing http.Server as server');
  }
  const port = o.port === undefined ? undefined : int('port', o.port, 0, 0, 65535);
  if (o.host !== undefined && (typeof o.host !== 'string' || o.host === '')) {
    throw new TypeError(`createServer: host must be a non-empty string, got ${describe(o.host)}`);
  }
  if (o.path !== undefined && (typeof o.path !== 'string' || !o.path.startsWith('/') || /[?#]/.test(o.path))) {
    throw new TypeError(`createServer: path must start with "/" and hold no query, got ${describe(o.path)}`);
  }
  if (o.routes !== undefined && typeof o.routes !== 'boolean') {
    throw new TypeError(`createServer: routes must be a boolean, got ${describe(o.routes)}`);
  }
  if (o.authenticate !== undefined && typeof o.authenticate !== 'function') {
    throw new TypeError('createServer: authenticate must be a function ({ request, token }) => identity');
  }

  let isAllowedOrigin: (origin: string) => boolean = () => true;
  const origins = o.allowedOrigins;
  if (typeof origins === 'function') {
    isAllowedOrigin = origins as (origin: string) => boolean;
  } else if (Array.isArray(origins)) {
    if (!origins.every((x) => typeof x === 'string')) {
      throw new TypeError('createServer: allowedOrigins must be an array of strings or a function');
    }
    const allowed = new Set(origins.map((x: string) => normalizeOrigin(x)));
    isAllowedOrigin = (origin) => allowed.has(normalizeOrigin(origin));
  } else if (origins !== undefined) {
    throw new TypeError('createServer: allowedOrigins must be an array of strings or a function');
  }

  const maxMessageBytes = int('maxMessageBytes', o.maxMessageBytes, DEFAULTS.maxMessageBytes, 1, 2 ** 31 - 1);
  const maxFrameBytes = int(
    'maxFrameBytes',
    o.maxFrameBytes,
    Math.min(maxMessageBytes + DEFAULTS.frameEnvelopeBytes, 2 ** 31 - 1),
    1,
    2 ** 31 - 1,
  );
  if (maxFrameBytes < maxMessageBytes + 64) {
    throw new RangeError(
      `createServer: maxFrameBytes (${maxFrameBytes}) must be at least maxMessageBytes + 64 (${maxMessageBytes + 64}), ` +
        'so that one message of the largest size fits in a frame with its envelope',
    );
  }

  const s = o.session;
  if (s !== undefined && (typeof s !== 'object' || s === null)) {
    throw new TypeError('createServer: session must be an object, e.g. { ttlMs: 120000 }');
  }
  const so = (s ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(so)) {
    if (!SESSION_KEYS.has(key)) {
      throw new TypeError(`createServer: unknown option "session.${key}"; known: ${[...SESSION_KEYS].join(', ')}`);
    }
  }

  const deflate = o.perMessageDeflate;
  if (
    deflate !== undefined &&
    typeof deflate !== 'boolean' &&
    (typeof deflate !== 'object' || deflate === null || Array.isArray(deflate))
  ) {
    throw new TypeError(
      `createServer: perMessageDeflate must be a boolean or ws's permessage-deflate options object, got ${describe(deflate)}`,
    );
  }
  const limits = resolveLimits(o.limits);

  const store = o.store as SessionStore | undefined;
  if (store !== undefined) {
    for (const method of ['getSession', 'setSession', 'deleteSession', 'getTombstone', 'setTombstone'] as const) {
      if (typeof store !== 'object' || store === null || typeof store[method] !== 'function') {
        throw new TypeError(`createServer: store must implement SessionStore (missing ${method}); see createMemoryStore()`);
      }
    }
  }

  return {
    port,
    host: o.host as string | undefined,
    path: o.path as string | undefined,
    server: server as HttpServer | undefined,
    routes: (o.routes as boolean | undefined) ?? server === undefined,
    authenticate: o.authenticate as Authenticate<Identity> | undefined,
    isAllowedOrigin,
    maxMessageBytes,
    maxFrameBytes,
    pingMs: int('pingMs', o.pingMs, DEFAULTS.pingMs, 1, MAX_TIMER_MS),
    heartbeatTimeoutMs: int('heartbeatTimeoutMs', o.heartbeatTimeoutMs, DEFAULTS.heartbeatTimeoutMs, 0, MAX_TIMER_MS),
    handshakeTimeoutMs: int('handshakeTimeoutMs', o.handshakeTimeoutMs, DEFAULTS.handshakeTimeoutMs, 1, MAX_TIMER_MS),
    refreshLeadMs: int('refreshLeadMs', o.refreshLeadMs, DEFAULTS.refreshLeadMs, 0, MAX_TIMER_MS),
    session: {
      ttlMs: int('session.ttlMs', so.ttlMs, DEFAULTS.session.ttlMs, 0, MAX_TIMER_MS),
      replayMaxMessages: int('session.replayMaxMessages', so.replayMaxMessages, DEFAULTS.session.replayMaxMessages, 1),
      replayMaxBytes: int('session.replayMaxBytes', so.replayMaxBytes, DEFAULTS.session.replayMaxBytes, 1),
      dedupWindowMs: int('session.dedupWindowMs', so.dedupWindowMs, DEFAULTS.session.dedupWindowMs, 0),
    },
    limits,
    perMessageDeflate: (deflate as boolean | PerMessageDeflateOptions | undefined) ?? DEFAULTS.perMessageDeflate,
    authorize: checkAuthorize<Identity>(o.authorize),
    channels: resolveChannelOptions(o.channels),
    store,
    logger: resolveLogger(o.logger),
  };
}

function resolveLogger(logger: unknown): Logger {
  if (logger === undefined) return silentLogger;
  if (!isLogger(logger)) {
    throw new TypeError('createServer: logger must have debug, info, warn and error methods (fields, message); see jsonLogger()');
  }
  return logger;
}
