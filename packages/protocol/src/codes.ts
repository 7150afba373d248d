/**
 * Every error code a Continuum client or server reports, as a list a program can check
 * against (a server's `error` message may only carry one of these). New codes are added
 * here, never as ad hoc strings. `DECODE_FAILED`: the client's codec could not decode a
 * message (the raw payload is on the error's `data`). `RECONNECT_EXHAUSTED`:
 * `maxRetries` or `maxReconnectMs` ran out and the client stopped trying.
 */
export const errorCodes = [
  'INVALID_ARGUMENT',
  'CONNECT_TIMEOUT',
  'HANDSHAKE_REFUSED',
  'AUTH_EXPIRED',
  'AUTH_FORBIDDEN',
  'HEARTBEAT_TIMEOUT',
  'OUTBOX_FULL',
  'EVICTED',
  'MESSAGE_TOO_LARGE',
  'SESSION_LOST',
  'CLIENT_CLOSED',
  'NOT_CONNECTED',
  'REJECTED_BY_SERVER',
  'RATE_LIMITED',
  'PROTOCOL_ERROR',
  'DECODE_FAILED',
  'RECONNECT_EXHAUSTED',
] as const;

/** One union of every code in `errorCodes`, so apps can switch over it exhaustively. */
export type ErrorCode = (typeof errorCodes)[number];

/** Close codes Continuum itself sends. See PROTOCOL.md, "Close codes". */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS: 1005,
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
  TLS_HANDSHAKE: 1015,
  /** A frame the peer could not decode, or a sequence number that skipped ahead. */
  CONTINUUM_PROTOCOL_ERROR: 4002,
  /** The hello did not arrive within the server's handshake deadline. */
  HANDSHAKE_TIMEOUT: 4008,
  /** The client asked for a protocol version the server does not speak. */
  UNSUPPORTED_VERSION: 4400,
  /** Credentials missing or expired: ask the token provider again, then retry. */
  UNAUTHORIZED: 4401,
  /** Authenticated but not allowed: stop. */
  FORBIDDEN: 4403,
  /** The server stopped hearing this socket (missed pings) and reaped it. */
  HEARTBEAT_TIMEOUT: 4408,
  /** A newer socket took over this session; the old client must not reconnect. */
  SESSION_REPLACED: 4409,
  /** Too many messages, bytes, sessions or handshakes: retry after the hint. */
  RATE_LIMITED: 4429,
} as const;

/** What a client does after a close code. */
export type ClosePolicy =
  /** Reconnect with backoff; the first attempt is spread (the server side went away). */
  | 'reconnect'
  /** Ask the URL/token provider again, then reconnect. */
  | 'refresh-credentials'
  /** Stop for good. */
  | 'stop';

/**
 * The close-code policy of PROTOCOL.md §16 as one function, so client and server
 * agree. Stop after what retrying cannot fix: 1000 (closed on purpose), 1002, 1003,
 * 1007, 1008, 1010 (the peer refuses what this endpoint sends), and the 4400–4999 bands
 * (refusals, terminal application codes) except 4408 and 4429, which are transient.
 * 4401 asks for credentials again. Everything else (1001, 1005, 1006, 1009, 1011–1015,
 * 4000–4399, unassigned codes) is the link or the server failing, not the request: reconnect.
 */
export function closePolicy(code: number): ClosePolicy {
  if (code === CloseCode.UNAUTHORIZED) return 'refresh-credentials';
  const refusal = code >= 4400 && code < 5000 && code !== CloseCode.HEARTBEAT_TIMEOUT && code !== CloseCode.RATE_LIMITED;
  return refusal || stopCodes.includes(code) ? 'stop' : 'reconnect';
}

const stopCodes: readonly number[] = [
  CloseCode.NORMAL,
  CloseCode.PROTOCOL_ERROR,
  CloseCode.UNSUPPORTED_DATA,
  CloseCode.INVALID_PAYLOAD,
  CloseCode.POLICY_VIOLATION,
  CloseCode.MANDATORY_EXTENSION,
];

/** True when a close with this code is followed by a reconnect attempt. */
export function isRetryable(code: number): boolean {
  return closePolicy(code) !== 'stop';
}

/**
 * Parses a retry window from a close reason such as `retry=2000-8000` or
 * `shutting down; retry=500` (ms). Returns undefined when the reason has none.
 * Bounded: at most 24 h, so a hostile reason cannot park a client forever.
 */
export function parseRetryHint(reason: string): { minMs: number; maxMs: number } | undefined {
  const match = /(?:^|[\s;,])retry=(\d{1,9})(?:-(\d{1,9}))?(?:$|[\s;,])/.exec(reason);
  if (match) {
    const a = Math.min(+match[1], 86_400_000);
    const b = Math.min(+(match[2] ?? match[1]), 86_400_000);
    return { minMs: Math.min(a, b), maxMs: Math.max(a, b) };
  }
}

/** Formats a close reason with a retry window, kept within the 123 bytes a close frame allows. */
export function formatRetryHint(text: string, minMs: number, maxMs: number): string {
  const hint = `retry=${Math.round(minMs)}-${Math.round(maxMs)}`;
  const room = 123 - hint.length - 2;
  return text ? `${truncateUtf8(text, room)}; ${hint}` : hint;
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    const n = utf8Length(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** UTF-8 length of a string without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes++;
    else if (c < 0x800) bytes += 2;
    // A surrogate pair is 4 bytes; a lone surrogate 3, like the rest (it becomes U+FFFD).
    else if (c >= 0xd800 && c < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
