import { ContinuumError } from '@continuum/protocol';

/**
 * Why `authenticate` refused a socket:
 * - `'missing'` / `'expired'`: no usable credential. The socket is closed with 4401, and the
 *   client asks its token provider for a fresh credential before it retries.
 * - `'forbidden'`: the credential is valid but not allowed here. Closed with 4403; the client
 *   stops for good (`AUTH_FORBIDDEN`).
 */
export type AuthRefusal = 'missing' | 'expired' | 'forbidden';

/**
 * Throw this from `authenticate` to refuse a client with a close code it understands.
 * Any other exception thrown by `authenticate` is treated as a server fault (close 1011,
 * the client retries with backoff), never as a verdict on the credential.
 *
 * The upgrade itself always completes first: browsers show an HTTP 401/403 only as
 * close code 1006, which would make a refusal indistinguishable from a network failure.
 *
 * @example
 * ```ts
 * authenticate: async ({ token }) => {
 *   const claims = await verify(token).catch(() => null);
 *   if (!claims) throw new AuthError('expired', 'token expired or invalid');
 *   if (!claims.scopes.includes('chat')) throw new AuthError('forbidden', 'no chat scope');
 *   return { userId: claims.sub };
 * }
 * ```
 */
export class AuthError extends ContinuumError {
  override name = 'AuthError';
  readonly refusal: AuthRefusal;

  /** @param message Sent to the client as the close reason (cut to 123 bytes of UTF-8). */
  constructor(refusal: AuthRefusal, message: string = defaultMessage(refusal), options: { cause?: unknown } = {}) {
    super(refusal === 'forbidden' ? 'AUTH_FORBIDDEN' : 'AUTH_EXPIRED', message, {
      retryable: refusal !== 'forbidden',
      cause: options.cause,
    });
    this.refusal = refusal;
  }
}

function defaultMessage(refusal: AuthRefusal): string {
  switch (refusal) {
    case 'missing':
      return 'credentials missing';
    case 'expired':
      return 'credentials expired or invalid';
    case 'forbidden':
      return 'forbidden';
  }
}
