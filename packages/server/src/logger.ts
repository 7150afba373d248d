// Structured logs. The server calls a four-method logger with (fields, message), the
// call shape of pino and bunyan, so either plugs in as it is; `jsonLogger()` is the
// dependency-free default that writes one JSON object per line.

/** Severity of a log record, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured context of a log record: plain JSON-serializable values. */
export type LogFields = Record<string, unknown>;

/**
 * Where the server's logs go. Each method takes the record's fields first and a short,
 * constant message second (`logger.info({ session }, 'session resumed')`), so a pino
 * or bunyan logger can be passed as it is.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * const server = await createServer({ port: 8080, logger: pino() });
 * ```
 */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/** Options of {@link jsonLogger}. */
export interface JsonLoggerOptions {
  /**
   * Records below this level are dropped.
   * @default 'info'
   */
  level?: LogLevel;
  /**
   * Receives each record as one line of JSON, newline included.
   * @default writes to process.stdout
   */
  write?: (line: string) => void;
  /** Fields added to every record, e.g. `{ service: 'chat', node: hostname() }`. */
  base?: LogFields;
  /**
   * The timestamp of each record.
   * @default () => new Date().toISOString()
   */
  time?: () => string | number;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A logger that writes one JSON object per line: `{"time":"…","level":"info",
 * "msg":"session resumed","session":"…"}`. Errors in fields are written with their
 * name, message, code and stack; values JSON cannot encode never throw.
 *
 * @example
 * ```ts
 * createServer({ port: 8080, logger: jsonLogger({ level: 'debug', base: { service: 'chat' } }) });
 * ```
 */
export function jsonLogger(options: JsonLoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!(level in RANK)) throw new RangeError(`jsonLogger: level must be one of ${Object.keys(RANK).join(', ')}, got ${String(level)}`);
  const min = RANK[level];
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const time = options.time ?? (() => new Date().toISOString());
  const base = options.base ?? {};
  const log =
    (at: LogLevel) =>
    (fields: LogFields, message: string): void => {
      if (RANK[at] < min) return;
      write(`${stringify({ time: time(), level: at, msg: message, ...base, ...fields })}\n`);
    };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** A logger that drops everything: what the server uses when no `logger` is given. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function stringify(record: LogFields): string {
  try {
    return JSON.stringify(record, replacer);
  } catch {
    // A cycle or a BigInt in the app's fields: keep the record, lose the fields.
    return JSON.stringify({ time: record.time, level: record.level, msg: record.msg, fieldsDropped: true });
  }
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: value.message, ...(code !== undefined && { code }), stack: value.stack };
  }
  return value;
}

/** Checks the `logger` option once, at startup. */
export function isLogger(value: unknown): value is Logger {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (['debug', 'info', 'warn', 'error'] as const).every((m) => typeof v[m] === 'function');
}
