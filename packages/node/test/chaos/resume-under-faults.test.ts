// The proof of issue 3: 100,000 messages each way through a proxy that cuts,
// resets and blackholes the link at random every 50–500 ms. Nothing may be lost,
// duplicated or reordered in either direction; every send() settles exactly once;
// and the replay paths must really have run (the test fails if no fault hit).
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ContinuumServer, type Session } from '@continuum/server';
import { FaultProxy } from '@continuum/testing';
import { Client } from '@continuum/node';
// mulberry32, seeded, shared with the core tests: a failing run replays with CHAOS_SEED.
import { seeded as prng } from '../../../core/test/helpers/fake-server.js';

const SEED = Number(process.env.CHAOS_SEED ?? 20261127);
const MESSAGES = Number(process.env.CHAOS_MESSAGES ?? 100_000);
const TIME_LIMIT_MS = 150_000;
/** Both streams are paced over this long, so the faults hit the whole exchange (~70 of them). */
const DURATION_MS = Number(process.env.CHAOS_DURATION_MS ?? 20_000);

/** Message i: mostly short text, every 97th binary (up to 64 KiB), every 1000th large text. */
function makeMessage(i: number, random: () => number): string | Uint8Array {
  if (i % 97 === 0) {
    const size = 4 + Math.floor(random() * 65_532);
    const bytes = new Uint8Array(size);
    new DataView(bytes.buffer).setUint32(0, i);
    for (let k = 4; k < size; k++) bytes[k] = (i + k) & 0xff;
    return bytes;
  }
  if (i % 1000 === 1) return `${i}:${'x'.repeat(Math.floor(random() * 20_000))}`;
  return `${i}:é`;
}

function indexOf(data: string | Uint8Array): number {
  if (typeof data === 'string') return Number(data.slice(0, data.indexOf(':')));
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const i = view.getUint32(0);
  for (let k = 4; k < data.length; k++) if (data[k] !== ((i + k) & 0xff)) return -1;
  return i;
}

let server: ContinuumServer | undefined;
let proxy: FaultProxy | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.close();
  await proxy?.close();
  await server?.close();
});

describe('resume under random faults', () => {
  it(`delivers ${MESSAGES} messages each way exactly once, in order (seed ${SEED})`, async () => {
    const random = prng(SEED);
    const faults = prng(SEED ^ 0x5eed);
    const problems: string[] = [];
    const note = (p: string) => {
      if (problems.length < 20) problems.push(p);
    };

    server = await createServer({ port: 0, host: '127.0.0.1', pingMs: 1000, session: { ttlMs: 60_000 } });
    let serverSession: Session | undefined;
    let sessions = 0;
    let serverExpect = 0;
    let serverSent = 0;
    const serverRandom = prng(SEED ^ 0xbeef);
    const pump = () => {
      // Server→client stream, paced by what the client has acknowledged so the
      // replay buffer never overflows (that would be a legitimate gap, not a bug).
      const s = serverSession;
      if (!s) return;
      const allowed = Math.min(MESSAGES, Math.ceil(((Date.now() - started) / DURATION_MS) * MESSAGES));
      while (serverSent < allowed && s.pendingMessages < 2000) s.send(makeMessage(serverSent++, serverRandom));
    };
    server.on('session', (session) => {
      sessions++;
      serverSession = session;
      session.on('message', (data) => {
        const i = indexOf(data);
        if (i !== serverExpect) note(`server got ${i}, expected ${serverExpect}`);
        serverExpect = i + 1;
      });
    });
    const started = Date.now();
    const pumpTimer = setInterval(pump, 2);

    proxy = await FaultProxy.start({ target: server.url });
    client = new Client(proxy.url, {
      backoff: { initialMs: 10, maxMs: 50 },
      connectTimeoutMs: 1000,
      heartbeat: { intervalMs: 100, timeoutMs: 300 },
      outbox: { maxMessages: 5000, maxBytes: 64 * 1024 * 1024 },
    });
    let clientExpect = 0;
    let lastSeq = 0;
    client.on('message', (data, meta) => {
      const i = indexOf(data);
      if (i !== clientExpect) note(`client got ${i}, expected ${clientExpect}`);
      if (meta.seq !== lastSeq + 1) note(`client seq ${meta.seq} after ${lastSeq}`);
      lastSeq = meta.seq;
      clientExpect = i + 1;
    });
    const sessionEvents: { resumed: boolean }[] = [];
    client.on('session', (e) => sessionEvents.push(e));
    if (process.env.CHAOS_DEBUG) {
      client.on('close', (e) => console.log('close', e));
      client.on('error', (e) => console.log('error', e.code, e.message));
      client.on('state', (e) => console.log('state', e));
    }

    // Fault schedule: every 50–500 ms one of cut / reset / blackhole (for 100–600 ms).
    let stopFaults = false;
    const faultLoop = (async () => {
      while (!stopFaults) {
        await new Promise((r) => setTimeout(r, 50 + faults() * 450));
        if (stopFaults) break;
        const roll = faults();
        if (roll < 0.5) proxy!.cut();
        else if (roll < 0.85) proxy!.reset();
        else {
          proxy!.blackhole();
          await new Promise((r) => setTimeout(r, 100 + faults() * 500));
          proxy!.restore();
        }
      }
    })();

    let settledOk = 0;
    let settledErr = 0;
    const settledTwice: number[] = [];
    const window: Promise<void>[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      let settled = false;
      const settle = (ok: boolean) => {
        if (settled) settledTwice.push(i);
        settled = true;
        if (ok) settledOk++;
        else settledErr++;
      };
      window.push(client.send(makeMessage(i, random)).then(() => settle(true), () => settle(false)));
      if (window.length >= 2000) await Promise.all(window.splice(0, 1000));
      if (i % 500 === 499) {
        const due = started + (i / MESSAGES) * DURATION_MS;
        if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
      }
      if (Date.now() - started > TIME_LIMIT_MS) throw new Error(`time limit while sending (seed ${SEED})`);
    }
    await Promise.all(window);
    const deadline = Date.now() + TIME_LIMIT_MS;
    while ((clientExpect < MESSAGES || serverExpect < MESSAGES) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    stopFaults = true;
    await faultLoop;
    clearInterval(pumpTimer);

    const faultStats = proxy.stats();
    const clientStats = client.stats();
    const report = { seed: SEED, problems, faultStats, clientStats };
    expect(problems, JSON.stringify(report)).toEqual([]);
    expect(serverExpect, `seed ${SEED}`).toBe(MESSAGES);
    expect(clientExpect, `seed ${SEED}`).toBe(MESSAGES);
    expect(settledOk + settledErr).toBe(MESSAGES);
    expect(settledErr).toBe(0);
    expect(settledTwice).toEqual([]);
    // One session throughout: every reconnect resumed.
    expect(sessions).toBe(1);
    expect(sessionEvents.slice(1).every((e) => e.resumed)).toBe(true);
    // The faults happened and the replay paths ran.
    expect(faultStats.cuts + faultStats.resets).toBeGreaterThan(20);
    expect(clientStats.reconnects).toBeGreaterThan(20);
    expect(clientStats.retransmitted, 'client→server replay ran').toBeGreaterThan(0);
    const replayed = Number(/^continuum_replayed_messages_total (\d+)/m.exec(server.metrics())?.[1]);
    expect(replayed, 'server→client replay ran').toBeGreaterThan(0);
  }, 200_000);
});
