// The proof of "resume on any node": two nodes (child processes) on one Redis, a client
// on node A through a FaultProxy, session messages and publications flowing from both
// nodes. Node A is SIGKILLed mid-stream; the client reconnects to node B within 100 ms
// and gets every session message and every publication exactly once, in order: the
// session resumes (nothing lost), no channel gap, every send() and publish settles once
// and every client publish is in the channel exactly once.
import { fork, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connect, startProxy } from './helpers/nodes.js';
import { redis } from './helpers/setup.js';
import { transpile } from './helpers/transpile.js';

let build: ReturnType<typeof transpile>;
beforeAll(() => {
  build = transpile();
});
afterAll(() => build?.dispose());

interface NodeProcess {
  child: ChildProcess;
  url: string;
  handled: { seq: number; data: string }[];
  sessions: string[];
  errors: string[];
  send(message: object): void;
}
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});

async function startNodeProcess(name: string): Promise<NodeProcess> {
  const child = fork(new URL('./fixtures/node.mjs', import.meta.url), [], {
    env: { ...process.env, SERVER_URL: build.server, REDIS_URL: build.redis, REDIS: redis.server.url, NODE: name },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const node: NodeProcess = { child, url: '', handled: [], sessions: [], errors: [], send: (m) => child.connected && child.send(m) };
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: any) => {
      if (m.type === 'listening') {
        node.url = m.url;
        resolve();
      } else if (m.type === 'handled') node.handled.push({ seq: m.seq, data: m.data });
      else if (m.type === 'session') node.sessions.push(m.id);
      else if (m.type === 'error') node.errors.push(m.message);
    });
    child.once('exit', (code) => reject(new Error(`node ${name} exited with ${code} before listening`)));
  });
  return node;
}

/** Splits `X:k` into its node and counter. */
const parse = (data: unknown) => {
  const [node, k] = String(data).split(':');
  return { node, k: Number(k) };
};

describe('failover after SIGKILL', () => {
  it('resumes on the other node with every session message and publication exactly once', async () => {
    const a = await startNodeProcess('A');
    const b = await startNodeProcess('B');
    const proxy = await startProxy(a.url);
    const client = connect(proxy.url, { heartbeat: { intervalMs: 100, timeoutMs: 300 }, outbox: { maxMessages: 10_000 } });

    const messages: { seq: number; data: string }[] = [];
    client.on('message', (data, { seq }) => messages.push({ seq, data: String(data) }));
    const sessions: { resumed: boolean; gap?: unknown }[] = [];
    client.on('session', (e) => sessions.push(e));
    const sub = client.subscribe('feed');
    const publications: { offset: number; data: string }[] = [];
    const gaps: unknown[] = [];
    sub.on('publication', (data, { offset }) => publications.push({ offset, data: String(data) }));
    sub.on('gap', (g) => gaps.push(g));
    await vi.waitFor(() => expect(sub.state).toBe('subscribed'));

    for (const node of [a, b]) node.send({ type: 'publish', on: true });
    a.send({ type: 'send', on: true });
    // The client sends and publishes throughout.
    let sent = 0;
    const settlements = new Map<number, number>();
    const failures: unknown[] = [];
    const sendOne = () => {
      const i = ++sent;
      const settle = () => settlements.set(i, (settlements.get(i) ?? 0) + 1);
      const promise = i % 5 === 0 ? sub.publish(`C:${i}`) : client.send(`c${i}`);
      promise.then(settle, (error) => {
        settle();
        failures.push(error);
      });
    };
    const sender = setInterval(() => {
      for (let i = 0; i < 3; i++) sendOne();
    }, 3);

    try {
      await vi.waitFor(() => expect(messages.length).toBeGreaterThan(300), { timeout: 10_000 });
      await vi.waitFor(() => expect(publications.length).toBeGreaterThan(300), { timeout: 10_000 });
      expect(a.sessions).toHaveLength(1);

      // Mid-stream: kill A, point the proxy at B.
      const killedAt = Date.now();
      a.child.kill('SIGKILL');
      proxy.setTarget(b.url);
      b.send({ type: 'send', on: true });
      await vi.waitFor(() => expect(sessions).toHaveLength(2), { timeout: 5000 });
      const resumedAfterMs = Date.now() - killedAt;
      const before = messages.length;
      await vi.waitFor(() => expect(messages.length).toBeGreaterThan(before + 300), { timeout: 10_000 });
      const publishedBefore = publications.length;
      await vi.waitFor(() => expect(publications.length).toBeGreaterThan(publishedBefore + 300), { timeout: 10_000 });
      clearInterval(sender);
      b.send({ type: 'send', on: false });
      b.send({ type: 'publish', on: false });
      await vi.waitFor(() => expect(settlements.size).toBe(sent), { timeout: 10_000 });

      // The session resumed on B: nothing lost, B adopted it.
      expect(sessions[1]).toEqual(expect.objectContaining({ resumed: true }));
      expect(sessions[1].gap).toBeUndefined();
      expect(b.sessions).toEqual(a.sessions);
      expect(resumedAfterMs).toBeLessThan(2000);

      // Session messages: seq 1..N exactly once; A's part then B's part, each contiguous.
      expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
      const fromA = messages.filter((m) => parse(m.data).node === 'A').map((m) => parse(m.data).k);
      const fromB = messages.filter((m) => parse(m.data).node === 'B').map((m) => parse(m.data).k);
      expect(fromA).toEqual(fromA.map((_, i) => i + 1));
      expect(fromB).toEqual(fromB.map((_, i) => i + 1));
      expect(messages.findIndex((m) => parse(m.data).node === 'B')).toBe(fromA.length);
      expect(fromA.length).toBeGreaterThan(300);

      // Publications: offsets 1..M exactly once, no gap; each node's own in order; each client publish once.
      expect(gaps).toEqual([]);
      expect(publications.map((p) => p.offset)).toEqual(publications.map((_, i) => i + 1));
      for (const node of ['A', 'B']) {
        const ks = publications.filter((p) => parse(p.data).node === node).map((p) => parse(p.data).k);
        expect(ks).toEqual([...ks].sort((x, y) => x - y));
        expect(new Set(ks).size).toBe(ks.length);
      }
      const clientPublishes = publications.filter((p) => p.data.startsWith('C:')).map((p) => Number(p.data.slice(2)));
      expect(new Set(clientPublishes).size).toBe(clientPublishes.length);

      // Every send() and publish settled exactly once, successfully.
      expect(failures).toEqual([]);
      expect([...settlements.values()].every((n) => n === 1)).toBe(true);
      // Every client publish made before the end is in the channel (once, checked above).
      await vi.waitFor(() => expect(clientPublishes.length + publications.length).toBeGreaterThan(0));
      // Every client message was handed to an app (A or B), in order on each node.
      const handled = new Set([...a.handled, ...b.handled].map((h) => h.data));
      for (let i = 1; i <= sent; i++) if (i % 5 !== 0) expect(handled.has(`c${i}`)).toBe(true);
      expect(b.errors).toEqual([]);
      if (process.env.FAILOVER_DEBUG) console.log({ resumedAfterMs, fromA: fromA.length, fromB: fromB.length, publications: publications.length, clientPublishes: clientPublishes.length, sent, handledA: a.handled.length, handledB: b.handled.length, twice: a.handled.filter((h) => b.handled.some((x) => x.data === h.data)).length });
    } finally {
      clearInterval(sender);
    }
  }, 60_000);
});
