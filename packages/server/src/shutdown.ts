// Graceful shutdown on SIGTERM: what an orchestrator (Kubernetes, systemd, docker stop)
// sends before it kills a process. `server.close()` does the work — refuse new upgrades
// (HTTP 503, `/health` answers 503), tell every client to come back elsewhere with 1012
// and a retry window that spreads the reconnects, save the sessions to the store, wait
// for the close frames — and this helper wires it to the signals and exits.
import type { Logger } from './logger.js';
import type { CloseOptions } from './server.js';

/** What {@link shutdownOnSignals} closes: a `ContinuumServer`, or anything with the same `close()`. */
export interface Closable {
  close(options?: CloseOptions): Promise<void>;
}

/** Options of {@link shutdownOnSignals}. */
export interface GracefulShutdownOptions {
  /**
   * Signals that start the shutdown. A second one while shutting down exits at once
   * with code 1 (the "press Ctrl-C again" convention).
   * @default ['SIGTERM', 'SIGINT']
   */
  signals?: readonly NodeJS.Signals[];
  /**
   * Passed to `server.close()`: the close code (1012), the reason with its retry window
   * (`restart; retry=1000-5000`, ms) and how long to wait for close frames.
   * @default server.close()'s defaults
   */
  close?: CloseOptions;
  /**
   * The app's own cleanup, run after the server closed and before the process exits:
   * database pools, queues, other servers.
   */
  onShutdown?: (signal: string) => void | Promise<void>;
  /**
   * Deadline for the whole shutdown, ms. Past it the process exits with code 1 whatever
   * is still pending (a hung `onShutdown`). Keep it below the orchestrator's grace period
   * (Kubernetes: `terminationGracePeriodSeconds`, 30 s by default).
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Call `process.exit()` when done: 0 after a clean shutdown, 1 after a failure or the
   * deadline. `false` leaves the process to exit by itself once nothing holds it (tests).
   * @default true
   */
  exit?: boolean;
  /** Where to log the shutdown's steps; the same shape as the server's `logger` option. */
  logger?: Logger;
}

/** The handle {@link shutdownOnSignals} returns. */
export interface GracefulShutdown {
  /** True once a signal (or {@link GracefulShutdown.shutdown}) started the shutdown. */
  readonly shuttingDown: boolean;
  /**
   * Starts the same shutdown without a signal, e.g. from an admin endpoint. Resolves when
   * it is done (before the exit, if `exit` is true); calling it again returns the same promise.
   */
  shutdown(reason?: string): Promise<void>;
  /** Removes the signal listeners; the process then handles those signals by default again. */
  dispose(): void;
}

/**
 * Closes the server gracefully when the process receives SIGTERM or SIGINT, then
 * exits: new upgrades are refused, every client is closed with 1012 and a retry hint
 * (so reconnects spread instead of stampeding the remaining nodes), sessions are saved
 * to the store (with a shared store such as Redis, clients resume elsewhere with
 * nothing lost), `onShutdown` runs, and the process exits 0.
 *
 * @example
 * ```ts
 * const server = await createServer({ port: 8080, logger: jsonLogger() });
 * shutdownOnSignals(server, { onShutdown: () => db.end() });
 * ```
 */
export function shutdownOnSignals(server: Closable, options: GracefulShutdownOptions = {}): GracefulShutdown {
  if (typeof server?.close !== 'function') throw new TypeError('shutdownOnSignals: server must have a close() method');
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw new RangeError(`shutdownOnSignals: timeoutMs must be a non-negative number, got ${String(timeoutMs)}`);
  }
  const exit = options.exit ?? true;
  const log = options.logger;
  let running: Promise<void> | undefined;

  const run = async (reason: string): Promise<void> => {
    log?.info({ reason, timeoutMs }, 'graceful shutdown started');
    const deadline = setTimeout(() => {
      log?.error({ reason, timeoutMs }, 'graceful shutdown timed out');
      if (exit) process.exit(1);
    }, timeoutMs);
    // The deadline must not be what keeps a process alive that has nothing left to do.
    deadline.unref();
    let code = 0;
    try {
      await server.close(options.close);
      await options.onShutdown?.(reason);
      log?.info({ reason }, 'graceful shutdown done');
    } catch (error) {
      code = 1;
      log?.error({ reason, err: error }, 'graceful shutdown failed');
    } finally {
      clearTimeout(deadline);
    }
    if (exit) process.exit(code);
    else if (code !== 0) process.exitCode = code;
  };

  const shutdown = (reason = 'shutdown()'): Promise<void> => {
    running ??= run(reason);
    return running;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    if (running) {
      log?.warn({ signal }, 'second signal during shutdown: exiting now');
      if (exit) process.exit(1);
      return;
    }
    void shutdown(signal);
  };
  for (const signal of signals) process.on(signal, onSignal);

  return {
    get shuttingDown() {
      return running !== undefined;
    },
    shutdown,
    dispose() {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
}
