import type { ErrorCode } from './codes.js';

export interface ContinuumErrorOptions {
  /** Whether trying again (reconnecting, re-sending) can succeed. */
  retryable?: boolean;
  /** The lower-level error or close event behind this one. */
  cause?: unknown;
  /** HTTP status of a refused upgrade, where the platform shows it. */
  status?: number;
  /** The payload involved (e.g. the raw message a codec could not decode). */
  data?: unknown;
}

/**
 * The one error class of Continuum. `code` is stable and typed; `message` says what
 * to do. Shared by client and server so both report the same codes.
 */
export class ContinuumError extends Error {
  override name = 'ContinuumError';
  readonly retryable: boolean;
  readonly status?: number;
  readonly data?: unknown;
  override readonly cause?: unknown;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: ContinuumErrorOptions = {},
  ) {
    super(message);
    this.retryable = !!options.retryable;
    // Only the options given: an error without a cause has no `cause` key at all.
    for (const key of ['cause', 'status', 'data'] as const) if (options[key] !== undefined) (this as ContinuumErrorOptions)[key] = options[key] as never;
  }
}

/** Narrows an unknown value to a ContinuumError, optionally of one code. */
export function isContinuumError(value: unknown, code?: ErrorCode): value is ContinuumError {
  return value instanceof ContinuumError && (code === undefined || value.code === code);
}
