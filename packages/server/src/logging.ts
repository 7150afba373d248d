// What the server logs, in one place: the record names, levels and fields. The hub
// calls these at the points of the session lifecycle; without a `logger` option the
// logger is `silentLogger` and each call is a no-op.
import type { Gap } from '@continuum/protocol';
import type { Logger } from './logger.js';
import type { HandshakeFailure } from './metrics.js';

/** The session facts a record needs; structural so this file imports no session code. */
interface SessionLike {
  readonly id: string;
}

/** The hub's log points. */
export interface HubLog {
  started(session: SessionLike, gap: Gap | undefined, previous: { id: string } | undefined): void;
  resumed(session: SessionLike, recv: number, adopted: boolean): void;
  detached(session: SessionLike): void;
  ended(session: SessionLike, reason: string): void;
  reaped(session: SessionLike | undefined, silentMs: number): void;
  handshakeFailed(reason: HandshakeFailure): void;
  error(error: unknown): void;
  shutdown(code: number, reason: string, sessions: number, connections: number): void;
}

/**
 * Refusals a client caused (bad credentials, a foreign protocol version) are `info`;
 * a client that went away mid-handshake or a refusal during shutdown is `debug`; a
 * failing store is `error` (the store's own error is logged by `error()` as well).
 */
const HANDSHAKE_LEVEL: Partial<Record<HandshakeFailure, 'debug' | 'warn' | 'error'>> = {
  abandoned: 'debug',
  shutdown: 'debug',
  overloaded: 'warn',
  store: 'error',
};

export function hubLog(logger: Logger): HubLog {
  return {
    started(session, gap, previous) {
      if (gap === undefined && previous === undefined) {
        logger.info({ session: session.id }, 'session started');
      } else {
        // The client asked to resume and could not: the app may want to know how often.
        logger.info(
          { session: session.id, ...(previous && { previous: previous.id }), ...(gap && { gap }) },
          'session started after a failed resume',
        );
      }
    },
    resumed(session, recv, adopted) {
      logger.info({ session: session.id, replayFrom: recv + 1, ...(adopted && { adopted }) }, 'session resumed');
    },
    detached(session) {
      logger.debug({ session: session.id }, 'socket closed; session waits for a resume');
    },
    ended(session, reason) {
      logger.info({ session: session.id, reason }, 'session ended');
    },
    reaped(session, silentMs) {
      logger.warn({ ...(session && { session: session.id }), silentMs }, 'socket reaped: heartbeat missed');
    },
    handshakeFailed(reason) {
      logger[HANDSHAKE_LEVEL[reason] ?? 'info']({ reason }, 'handshake refused');
    },
    error(error) {
      // `err`: the key pino's standard serializers expand.
      logger.error({ err: error }, error instanceof Error ? error.message : 'server error');
    },
    shutdown(code, reason, sessions, connections) {
      logger.info({ code, reason, sessions, connections }, 'shutting down');
    },
  };
}
