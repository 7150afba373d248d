/** Reconnect delay policy. All times in ms. */
export interface BackoffOptions {
  /** Base of the exponential schedule. @default 1000 */
  initialMs: number;
  /** No delay ever exceeds this, whatever the cause or hint. @default 30000 */
  maxMs: number;
  /** Growth per attempt. @default 2 */
  factor: number;
  /**
   * `'full'`: uniform in [0, step] (least total work under contention, per the AWS
   * "Exponential Backoff And Jitter" study); `'equal'`: [step/2, step]; `'none'`: step.
   * @default 'full'
   */
  jitter: 'full' | 'equal' | 'none';
  /**
   * When the server side went away (close, reset, 1001/1006/1011/1012), the first
   * attempt is spread uniformly over this window so a restarted server is not hit
   * by every client at once. @default 5000
   */
  spreadMs: number;
  /** When the client itself noticed the loss (heartbeat, online, visible), the first attempt comes within this. @default 1000 */
  fastMs: number;
}

/** Shared by every client that does not set `backoff`: frozen. */
export const defaultBackoff: BackoffOptions = /* @__PURE__ */ Object.freeze({
  initialMs: 1000,
  maxMs: 30_000,
  factor: 2,
  jitter: 'full',
  spreadMs: 5000,
  fastMs: 1000,
});

/** Who noticed the loss, which decides how soon the first attempt may come. */
export type LossCause = 'client' | 'server' | 'slow-down' | 'failed-attempt';

/**
 * The delay before reconnect attempt `attempt` (1 = first after a loss). Pure: the
 * random source is passed in and drawn per call, so clients never move in lock-step
 * (partysocket drew jitter once per module, cloudflare/partykit #397).
 */
export function reconnectDelay(
  attempt: number,
  cause: LossCause,
  options: BackoffOptions,
  random: () => number,
  hint?: { minMs: number; maxMs: number },
): number {
  const cap = options.maxMs;
  if (hint) {
    // A window that reaches past maxMs is scaled into [0, maxMs], not clipped at maxMs:
    // clipping would bring every client the server spread out back at the same instant.
    const scale = hint.maxMs > cap ? cap / hint.maxMs : 1;
    return Math.min(cap, (hint.minMs + random() * (hint.maxMs - hint.minMs)) * scale);
  }
  if (attempt <= 1 && (cause === 'client' || cause === 'server'))
    return random() * Math.min(cause === 'client' ? options.fastMs : options.spreadMs, cap);
  const slowDown = cause === 'slow-down';
  // 1013 "try again later": start where the schedule would be a few steps in, equal jitter.
  let step = slowDown
    ? Math.max(options.spreadMs, options.initialMs * options.factor ** 3)
    : options.initialMs * options.factor ** Math.min(Math.max(0, attempt - 1), 1024);
  if (!(step <= cap)) step = cap; // also catches NaN (0 × Infinity after a very long outage)
  const jitter = slowDown ? 'equal' : options.jitter;
  const floor = jitter === 'equal' ? step / 2 : 0;
  return jitter === 'none' ? step : floor + random() * (step - floor);
}
