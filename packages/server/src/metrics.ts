// Counters kept as plain numbers (an increment on the hot path is one add), rendered in
// the Prometheus text format only when scraped.

/** Why a socket did not reach the welcome. */
export type HandshakeFailure =
  | 'origin'
  | 'path'
  | 'timeout'
  | 'version'
  | 'unauthorized'
  | 'forbidden'
  | 'auth_error'
  | 'protocol'
  | 'abandoned'
  | 'store'
  | 'shutdown'
  /** Too many concurrent handshakes: HTTP 503 before the upgrade. */
  | 'overloaded'
  /** The identity holds `limits.sessionsPerIdentity` sessions already: close 4429. */
  | 'too_many_sessions';

/** Counters and gauges of one server. */
export class Metrics {
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  framesIn = 0;
  framesOut = 0;
  resumesOk = 0;
  resumesFailed = 0;
  replayedMessages = 0;
  reaped = 0;
  readonly handshakeFailures = new Map<HandshakeFailure, number>();
  /** Refusals by limit (`limits.ts`): messages, bytes, sessions, handshakes. */
  readonly limited = new Map<string, number>();

  limitReached(limit: string): void {
    this.limited.set(limit, (this.limited.get(limit) ?? 0) + 1);
  }

  /** Told of every handshake failure, for the logs (`logging.ts`). */
  onHandshakeFailed: ((reason: HandshakeFailure) => void) | undefined;

  handshakeFailed(reason: HandshakeFailure): void {
    this.handshakeFailures.set(reason, (this.handshakeFailures.get(reason) ?? 0) + 1);
    this.onHandshakeFailed?.(reason);
  }

  /** Prometheus exposition format 0.0.4. */
  render(gauges: { sessions: number; connections: number }): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('continuum_sessions', 'gauge', 'Sessions held by this server (connected or waiting for a resume).', [
      ['', gauges.sessions],
    ]);
    metric('continuum_connections', 'gauge', 'Open WebSocket connections, handshaking included.', [
      ['', gauges.connections],
    ]);
    metric('continuum_messages_received_total', 'counter', 'Client messages accepted (duplicates excluded).', [
      ['', this.messagesIn],
    ]);
    metric('continuum_messages_sent_total', 'counter', 'Messages accepted by session.send() (volatile included).', [
      ['', this.messagesOut],
    ]);
    metric('continuum_bytes_received_total', 'counter', 'WebSocket payload bytes received.', [['', this.bytesIn]]);
    metric('continuum_bytes_sent_total', 'counter', 'WebSocket payload bytes sent.', [['', this.bytesOut]]);
    metric('continuum_frames_received_total', 'counter', 'WebSocket messages received.', [['', this.framesIn]]);
    metric('continuum_frames_sent_total', 'counter', 'WebSocket messages sent.', [['', this.framesOut]]);
    metric(
      'continuum_handshake_failures_total',
      'counter',
      'Sockets refused or dropped before the welcome, by reason.',
      [...this.handshakeFailures].map(([reason, n]) => [`{reason="${reason}"}`, n]),
    );
    metric('continuum_resumes_total', 'counter', 'Resume attempts, by result.', [
      ['{result="ok"}', this.resumesOk],
      ['{result="failed"}', this.resumesFailed],
    ]);
    metric('continuum_replayed_messages_total', 'counter', 'Messages sent again after a resume.', [
      ['', this.replayedMessages],
    ]);
    metric('continuum_reaped_sockets_total', 'counter', 'Sockets terminated for missing the heartbeat.', [
      ['', this.reaped],
    ]);
    metric(
      'continuum_limited_total',
      'counter',
      'Sockets closed (4429) or upgrades refused (503) by a limit, by limit.',
      [...this.limited].map(([limit, n]) => [`{limit="${limit}"}`, n]),
    );
    return lines.join('\n') + '\n';
  }
}
