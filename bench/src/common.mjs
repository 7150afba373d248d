// Helpers shared by the orchestrator and its child processes: payloads, IPC,
// measurement marks, statistics.
import { randomFillSync } from 'node:crypto';

/** Above this many bytes queued in a socket, a sender waits (the peers' `bufferedAmount` convention). */
export const HIGH_WATER_BYTES = 1024 * 1024;
/** While blocked by backpressure, a sender looks again after this long, ms (no busy spinning). */
export const BLOCKED_POLL_MS = 1;

/** The two message shapes of every metric. */
export const SIZES = {
  text64: { kind: 'text', bytes: 64, label: '64 B text' },
  bin16k: { kind: 'binary', bytes: 16 * 1024, label: '16 KiB binary' },
};

let binaryPayload;
/** The payload of one message of `sizeKey`: 64 ASCII characters, or 16 KiB of incompressible bytes. */
export function payloadOf(sizeKey) {
  const size = SIZES[sizeKey];
  if (size.kind === 'text') return 'x'.repeat(size.bytes);
  if (!binaryPayload) {
    binaryPayload = Buffer.alloc(size.bytes);
    randomFillSync(binaryPayload);
  }
  return binaryPayload;
}

/** A 64-byte text message that carries a counter, so a receiver can count what was lost. */
export function seqPayload(n) {
  return String(n).padEnd(64, '.');
}

/** Unacknowledged messages a Continuum sender keeps in flight (its outbox bounds: 1000 messages, 4 MiB). */
export function windowFor(sizeKey) {
  return Math.min(960, Math.floor((4 * 1024 * 1024) / SIZES[sizeKey].bytes) - 16);
}

export function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

export function nowNs() {
  return process.hrtime.bigint();
}

/** Memory after a full GC (several passes, so weak/finalized objects are gone). */
export async function settledMemory() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/**
 * Child side of the IPC: `handlers[cmd](msg)` answers `{ id, ok, ...result }`.
 * An exception answers `{ id, ok: false, error }`; the child keeps running.
 */
export function serveIpc(handlers) {
  process.on('message', async (msg) => {
    const handler = handlers[msg.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      const result = await handler(msg);
      process.send?.({ id: msg.id, ok: true, ...(result ?? {}) });
    } catch (error) {
      process.send?.({ id: msg.id, ok: false, error: String(error?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

/** Bounded await: rejects after `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- statistics ---------------------------------------------------------------------

export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Median and spread of repeated measurements. */
export function summarize(values) {
  const v = values.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { median: null, min: null, max: null, n: 0 };
  return { median: quantile(v, 0.5), min: v[0], max: v[v.length - 1], n: v.length };
}
