import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  CloseCode,
  PROTOCOL_VERSION,
  encodeControl,
  type Gap,
  type HelloMessage,
  type Payload,
  type WelcomeMessage,
} from '@continuum/protocol';
import { Channels, createMemoryChannelLog } from './channels.js';
import { Connection, type Transport } from './connection.js';
import { AuthError } from './errors.js';
import { CredentialWatch, ExpiringIdentity } from './expiry.js';
import { Limiter } from './limits.js';
import { hubLog, type HubLog } from './logging.js';
import { Metrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import { Session, type SessionEndReason, type SessionHost } from './session.js';
import type { MaybePromise, SessionRecord, SessionStore, Tombstone } from './store.js';

/** Where the hub reports what the app must hear about. */
export interface HubSink<Identity> {
  session(session: Session<Identity>): void;
  error(error: unknown): void;
}

function isThenable<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/** Session ids: 128 random bits; resume tokens: 192. Both base64url. */
function randomId(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Compares secrets in constant time, so response timing does not leak a token byte by byte. */
function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The credential of a request that did not send one in its hello. */
function tokenFromRequest(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match) return match[1];
  }
  const url = request.url;
  if (url?.includes('token=')) {
    try {
      return new URL(url, 'http://localhost').searchParams.get('token') ?? undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The session protocol, independent of the socket library: handshakes, resumes, the
 * session table and the heartbeat. One interval timer drives the heartbeat of every
 * socket, so an idle connection costs no timer of its own.
 */
export class Hub<Identity> implements SessionHost {
  readonly sessions = new Map<string, Session<Identity>>();
  readonly connections = new Set<Connection>();
  readonly metrics = new Metrics();
  /** Channel subscribers of this server and the fan-out of publications. */
  readonly channels: Channels<Identity>;
  readonly limiter: Limiter;
  /** Sockets between the upgrade and the welcome, for `limits.concurrentHandshakes`. */
  readonly handshaking = new Set<Connection>();
  /** Sockets whose credential expires (`withExpiry`). */
  private readonly watches = new Map<Connection, CredentialWatch>();
  closing = false;
  /** Structured log records of the session lifecycle; no-ops without a `logger`. */
  readonly log: HubLog;
  private closeCode: number = CloseCode.SERVICE_RESTART;
  private closeReason = '';
  private readonly tickTimer: ReturnType<typeof setInterval>;

  constructor(
    readonly options: ResolvedOptions<Identity>,
    readonly store: SessionStore,
    private readonly sink: HubSink<Identity>,
  ) {
    // Without authenticate every client is `null`: one identity limit would cap the server.
    this.limiter = new Limiter(options.limits, options.authenticate !== undefined);
    this.log = hubLog(options.logger);
    this.metrics.onHandshakeFailed = (reason) => this.log.handshakeFailed(reason);
    const { pingMs, heartbeatTimeoutMs } = options;
    // Fine enough that pings are at most a fifth of the reap deadline late, coarse enough
    // that 10,000 idle sockets cost a loop every few seconds.
    const tickMs = Math.max(1, Math.min(pingMs, Math.ceil((2 * pingMs + heartbeatTimeoutMs) / 12)));
    this.tickTimer = setInterval(() => this.tick(), tickMs);
    const { historyMaxMessages, historyMaxAgeMs } = options.channels;
    const limits = { historyMaxMessages, historyMaxAgeMs };
    this.channels = new Channels<Identity>(this, store.channelLog?.(limits) ?? createMemoryChannelLog(limits));
  }

  /** A socket completed its upgrade. */
  open(transport: Transport, request: IncomingMessage): Connection {
    const connection = new Connection(this, transport, request);
    this.connections.add(connection);
    this.handshaking.add(connection);
    if (this.closing) {
      this.metrics.handshakeFailed('shutdown');
      connection.close(this.closeCode, this.closeReason);
    }
    return connection;
  }

  /** @internal The connection closed. */
  forget(connection: Connection): void {
    this.connections.delete(connection);
    this.handshaking.delete(connection);
    const watch = this.watches.get(connection);
    if (watch) {
      watch.clear();
      this.watches.delete(connection);
    }
  }

  /** Whether one more upgrade may start a handshake (`limits.concurrentHandshakes`). */
  admitsHandshake(): boolean {
    return this.handshaking.size < this.options.limits.concurrentHandshakes;
  }

  /**
   * @internal Charges a client frame to its session's rate limits. Over a limit the
   * socket is closed with 4429 and a retry hint, before the frame is processed: the
   * client re-sends its messages after the resume, so none is lost or handled twice.
   */
  admitFrame(connection: Connection, session: Session<any>, messages: number, bytes: number): boolean {
    const verdict = this.limiter.charge(session, messages, bytes);
    if (!verdict) return true;
    this.metrics.limitReached(verdict.limit);
    connection.close(CloseCode.RATE_LIMITED, verdict.reason);
    return false;
  }

  private tick(): void {
    const now = Date.now();
    const { pingMs, heartbeatTimeoutMs } = this.options;
    const silentMs = 2 * pingMs + heartbeatTimeoutMs;
    for (const connection of this.connections) {
      if (connection.phase !== 'open') continue; // the handshake deadline covers the others
      if (now - connection.lastSeen > silentMs) {
        this.metrics.reaped++;
        this.log.reaped(connection.session, silentMs);
        connection.terminate(CloseCode.HEARTBEAT_TIMEOUT, `no traffic for ${silentMs} ms`);
      } else if (now - connection.lastPing >= pingMs) {
        connection.ping(now);
      }
    }
  }

  // ---- handshake ------------------------------------------------------------------

  /** @internal The connection received its hello. */
  handshake(connection: Connection, hello: HelloMessage): void {
    this.runHandshake(connection, hello).catch((error: unknown) => {
      // A bug or an app listener that threw: a server fault, the client retries.
      this.reportError(error);
      connection.close(CloseCode.INTERNAL_ERROR, 'server error during the handshake');
    });
  }

  private async runHandshake(connection: Connection, hello: HelloMessage): Promise<void> {
    if (hello.v !== PROTOCOL_VERSION) {
      this.metrics.handshakeFailed('version');
      connection.close(
        CloseCode.UNSUPPORTED_VERSION,
        `unsupported protocol version ${hello.v}; this server speaks ${PROTOCOL_VERSION}`,
      );
      return;
    }
    const request = connection.request;
    const token = hello.auth ?? (request && tokenFromRequest(request));
    const who = await this.authenticate(connection, token);
    if (!who || connection.phase !== 'auth') return;

    const resume = hello.resume;
    let record: SessionRecord | undefined;
    let tombstone: Tombstone | undefined;
    if (resume && !this.sessions.has(resume.id)) {
      try {
        record = await this.store.getSession(resume.id);
        if (!record) tombstone = await this.store.getTombstone(resume.id);
      } catch (error) {
        this.reportError(error);
        this.metrics.handshakeFailed('store');
        connection.close(CloseCode.INTERNAL_ERROR, 'session store unavailable');
        return;
      }
      if (connection.phase !== 'auth') return;
    }
    if (this.closing) {
      this.metrics.handshakeFailed('shutdown');
      connection.close(this.closeCode, this.closeReason);
      return;
    }

    // Synchronous from here on: nothing can change under the decisions below.
    let gap: Gap | undefined;
    let previous: { id: string; ack: number } | undefined;
    if (resume) {
      const owns = (x: { token: string; identityKey: string }) =>
        x.identityKey === who.key && sameSecret(x.token, resume.token);
      let live = this.sessions.get(resume.id);
      let adopted = false;
      if (!live && record && owns(record)) {
        if (record.expiresAt !== 0 && record.expiresAt <= Date.now()) {
          tombstone = this.bury(record);
        } else {
          live = this.adopt(record, who.identity);
          adopted = true;
        }
      }
      if (live && owns(live.record)) {
        if (resume.recv > live.record.sent) {
          this.metrics.handshakeFailed('protocol');
          connection.close(
            CloseCode.CONTINUUM_PROTOCOL_ERROR,
            `protocol error: resume.recv ${resume.recv} is past the last message sent (${live.record.sent})`,
          );
          return;
        }
        if (live.canReplayFrom(resume.recv + 1)) {
          this.resume(connection, live, resume.recv, who.identity, adopted);
          this.watchCredential(connection, who.expiresAt);
          return;
        }
        tombstone = live.end('lost');
      } else if (live) {
        // Someone else's session (wrong token or identity): treat it as unknown, reveal nothing.
        tombstone = undefined;
      }
      this.metrics.resumesFailed++;
      const from = resume.recv + 1;
      if (tombstone && owns(tombstone)) {
        if (from <= tombstone.sent) gap = { from, to: tombstone.sent };
        previous = { id: tombstone.id, ack: tombstone.ack };
      } else {
        gap = { from, to: null };
      }
    }
    const refusal = this.limiter.admitSession(who.key);
    if (refusal) {
      this.metrics.handshakeFailed('too_many_sessions');
      this.metrics.limitReached(refusal.limit);
      connection.close(CloseCode.RATE_LIMITED, refusal.reason);
      return;
    }
    this.start(connection, who.identity, who.key, gap, previous);
    this.watchCredential(connection, who.expiresAt);
  }

  /** Runs `authenticate`; closes the socket and returns undefined when it refuses. */
  private async authenticate(
    connection: Connection,
    token: string | undefined,
  ): Promise<{ identity: Identity; key: string; expiresAt: number | undefined } | undefined> {
    const authenticate = this.options.authenticate;
    const handshaking = connection.phase !== 'open';
    let identity = null as Identity | ExpiringIdentity<Identity> | null | undefined | false;
    let expiresAt: number | undefined;
    if (authenticate) {
      try {
        identity = await authenticate({ request: connection.request, token, refresh: !handshaking });
      } catch (error) {
        if (error instanceof AuthError) {
          const forbidden = error.refusal === 'forbidden';
          if (handshaking) this.metrics.handshakeFailed(forbidden ? 'forbidden' : 'unauthorized');
          connection.close(forbidden ? CloseCode.FORBIDDEN : CloseCode.UNAUTHORIZED, error.message);
        } else {
          if (handshaking) this.metrics.handshakeFailed('auth_error');
          this.reportError(error);
          connection.close(CloseCode.INTERNAL_ERROR, 'authentication failed with a server error');
        }
        return undefined;
      }
      if (identity === null || identity === undefined || identity === false) {
        if (handshaking) this.metrics.handshakeFailed('unauthorized');
        connection.close(CloseCode.UNAUTHORIZED, token === undefined ? 'credentials missing' : 'credentials refused');
        return undefined;
      }
      if (identity instanceof ExpiringIdentity) {
        expiresAt = identity.expiresAt;
        identity = identity.identity;
        if (expiresAt <= Date.now()) {
          if (handshaking) this.metrics.handshakeFailed('unauthorized');
          connection.close(CloseCode.UNAUTHORIZED, 'credentials expired');
          return undefined;
        }
      }
    }
    let key: string | undefined;
    try {
      key = JSON.stringify(identity);
    } catch (error) {
      this.reportError(error);
    }
    if (key === undefined) {
      if (handshaking) this.metrics.handshakeFailed('auth_error');
      this.reportError(new TypeError('authenticate must return a JSON-serializable identity'));
      connection.close(CloseCode.INTERNAL_ERROR, 'authentication failed with a server error');
      return undefined;
    }
    return { identity: identity as Identity, key, expiresAt };
  }

  /** @internal A fresh credential for an open socket (control message `auth`). */
  reauthenticate(connection: Connection, token: string): void {
    const session = connection.session;
    this.authenticate(connection, token).then(
      (who) => {
        if (!who || connection.session !== session || !session) return;
        if (who.key !== session.record.identityKey) {
          connection.close(CloseCode.FORBIDDEN, 'a credential refresh must not change the identity');
          return;
        }
        this.watchCredential(connection, who.expiresAt);
      },
      (error: unknown) => {
        this.reportError(error);
        connection.close(CloseCode.INTERNAL_ERROR, 'server error during a credential refresh');
      },
    );
  }

  /**
   * Asks for a fresh credential before `expiresAt` and closes 4401 at it; a credential
   * without an expiry stops the watch.
   */
  private watchCredential(connection: Connection, expiresAt: number | undefined): void {
    let watch = this.watches.get(connection);
    if (expiresAt === undefined || connection.phase !== 'open') {
      if (watch) {
        watch.clear();
        this.watches.delete(connection);
      }
      return;
    }
    if (!watch) {
      watch = new CredentialWatch(connection, this.options.refreshLeadMs);
      this.watches.set(connection, watch);
    }
    watch.set(expiresAt);
  }

  /** A new session for this socket. */
  private start(
    connection: Connection,
    identity: Identity,
    identityKey: string,
    gap: Gap | undefined,
    previous: { id: string; ack: number } | undefined,
  ): void {
    const record: SessionRecord = {
      id: randomId(16),
      token: randomId(24),
      identityKey,
      sent: 0,
      received: 0,
      handled: 0,
      peerAck: 0,
      replay: [],
      replayBytes: 0,
      nacks: [],
      expiresAt: 0,
    };
    const session = new Session<Identity>(this, record, identity);
    this.sessions.set(record.id, session);
    this.limiter.sessionAdded(identityKey);
    this.persist(() => this.store.setSession(record));
    connection.open(session);
    this.handshaking.delete(connection);
    session.attach(connection, 0, identity);
    connection.write(this.welcome(session, false, gap, previous));
    session.opened();
    this.sink.session(session);
    this.log.started(session, gap, previous);
  }

  /** Hands a live session to a new socket; an older socket of the session is closed with 4409. */
  private resume(connection: Connection, session: Session<Identity>, recv: number, identity: Identity, adopted: boolean): void {
    session.replaceLink(CloseCode.SESSION_REPLACED, 'session replaced by a newer connection');
    connection.open(session);
    this.handshaking.delete(connection);
    session.attach(connection, recv, identity);
    this.metrics.resumesOk++;
    this.log.resumed(session, recv, adopted);
    connection.write(this.welcome(session, true));
    session.opened();
    if (adopted) this.sink.session(session);
  }

  private welcome(
    session: Session<Identity>,
    resumed: boolean,
    gap?: Gap,
    previous?: { id: string; ack: number },
  ): string {
    const { options } = this;
    const message: WelcomeMessage = {
      t: 'welcome',
      v: PROTOCOL_VERSION,
      id: session.id,
      token: session.record.token,
      resumed,
      recv: session.record.received,
      ack: session.welcomeAck(),
      ...(gap && { gap }),
      ...(previous && { previous }),
      pingMs: options.pingMs,
      maxMessageBytes: options.maxMessageBytes,
      maxFrameBytes: options.maxFrameBytes,
      sessionTtlMs: options.session.ttlMs,
      replayMaxMessages: options.session.replayMaxMessages,
      replayMaxBytes: options.session.replayMaxBytes,
      ...(resumed && { sent: session.record.sent }),
    };
    return encodeControl(message);
  }

  /** A session this server does not hold, found in the (shared) store: host it here. */
  private adopt(record: SessionRecord, identity: Identity): Session<Identity> {
    // Messages received by the previous host but not handled died with it: the client
    // sends them again from `received + 1`.
    record.received = record.handled;
    record.nacks = [];
    const session = new Session<Identity>(this, record, identity);
    this.sessions.set(record.id, session);
    this.limiter.sessionAdded(record.identityKey);
    return session;
  }

  /** A stored session past its ttl that no server ended: turn it into a tombstone. */
  private bury(record: SessionRecord): Tombstone {
    const tombstone: Tombstone = {
      id: record.id,
      token: record.token,
      identityKey: record.identityKey,
      sent: record.sent,
      ack: record.handled,
      expiresAt: record.expiresAt + this.options.session.dedupWindowMs,
    };
    this.persist(() => this.store.deleteSession(record.id));
    this.persist(() => this.store.setTombstone(tombstone));
    return tombstone;
  }

  // ---- SessionHost ----------------------------------------------------------------

  wasHandled(originId: string, originSeq: number, identityKey: string): MaybePromise<boolean> {
    const live = this.sessions.get(originId);
    if (live) return live.record.identityKey === identityKey && live.handledOrInFlight >= originSeq;
    const check = (t: Tombstone | undefined) => t !== undefined && t.identityKey === identityKey && t.ack >= originSeq;
    const tombstone = this.store.getTombstone(originId);
    return isThenable(tombstone) ? tombstone.then(check) : check(tombstone);
  }

  sessionEnded(session: Session<any>, tombstone: Tombstone, reason: SessionEndReason): void {
    this.sessions.delete(session.id);
    this.log.ended(session, reason);
    this.limiter.sessionRemoved(session.record.identityKey);
    if (reason === 'shutdown') {
      this.persist(() => this.store.setSession(session.record));
    } else {
      this.persist(() => this.store.deleteSession(session.id));
      this.persist(() => this.store.setTombstone(tombstone));
    }
  }

  publish(session: Session<any>, channel: string, data: Payload, seq: number): MaybePromise<void> {
    return this.channels.publishFromClient(session, channel, data, seq);
  }

  sessionDetached(session: Session<any>): void {
    this.log.detached(session);
    this.persist(() => this.store.setSession(session.record));
  }

  reportError(error: unknown): void {
    this.log.error(error);
    this.sink.error(error);
  }

  /** Runs a store write; a failure (thrown or rejected) is reported, never thrown. */
  private persist(write: () => MaybePromise<void>): void {
    try {
      const result = write();
      if (isThenable(result)) result.then(undefined, (error: unknown) => this.reportError(error));
    } catch (error) {
      this.reportError(error);
    }
  }

  // ---- shutdown -------------------------------------------------------------------

  /**
   * Ends every session ('shutdown': saved to the store) and closes every socket with
   * `code`/`reason`. The binding waits for the sockets to go.
   */
  shutdown(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.closeCode = code;
    this.closeReason = reason;
    clearInterval(this.tickTimer);
    this.log.shutdown(code, reason, this.sessions.size, this.connections.size);
    for (const session of [...this.sessions.values()]) session.end('shutdown', code, reason);
    for (const connection of [...this.connections]) {
      if (connection.phase !== 'open') this.metrics.handshakeFailed('shutdown');
      connection.close(code, reason);
    }
  }
}
