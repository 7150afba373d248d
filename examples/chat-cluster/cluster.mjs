// Two Continuum nodes on one Redis, the way a load-balanced deployment runs them:
// two chat rooms and a dashboard channel. Alice is connected to node A, Bob to node
// B; what either says reaches the other through Redis, with one offset sequence per
// channel shared by both nodes. Needs `redis-server` (Debian: apt-get install
// redis-server); it is started on a free port without persistence.
//
//   node examples/chat-cluster/cluster.mjs          runs until Ctrl-C
//   REDIS_URL=redis://127.0.0.1:6379 node …         uses your Redis instead
//
// With CONTINUUM_EXAMPLE_SMOKE=1 it checks that every message reached both users
// exactly once, in the same order, and exits (0 on success).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Socket, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@continuum/node';
import { createRedisStore } from '@continuum/redis';
import { createServer } from '@continuum/server';

const smoke = process.env.CONTINUUM_EXAMPLE_SMOKE === '1';
const rooms = ['room:lobby', 'room:random'];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'continuum-chat-redis-'));
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const failed = new Promise((_, reject) =>
    child.once('error', () => reject(new Error('redis-server not found: apt-get install redis-server, or set REDIS_URL'))),
  );
  // Wait until it answers (bounded: 5 s).
  const ready = (async () => {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise((resolve) => {
        const probe = new Socket();
        probe.once('error', () => resolve(false));
        probe.connect(port, '127.0.0.1', () => {
          probe.destroy();
          resolve(true);
        });
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis-server did not start within 5 s');
  })();
  await Promise.race([ready, failed]);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startNode(name, redisUrl) {
  const store = createRedisStore({ url: redisUrl });
  const server = await createServer({ host: '127.0.0.1', port: 0, store });
  // Chat messages are client publishes; the server only decides who may publish.
  let messages = 0;
  server.on('session', (session) => session.on('message', () => void messages++));
  // Each node reports itself on the shared dashboard channel.
  const timer = setInterval(() => {
    void server.publish('dashboard', JSON.stringify({ node: name, sessions: server.sessions.size, at: Date.now() }));
  }, smoke ? 100 : 1000);
  return {
    name,
    url: server.url,
    async close() {
      clearInterval(timer);
      await server.close({ timeoutMs: 200 });
      await store.close();
    },
  };
}

function joinAs(user, node) {
  const client = new Client(node.url, { codec: 'json' });
  const log = Object.fromEntries(rooms.map((r) => [r, []]));
  const dashboard = new Set();
  const subs = Object.fromEntries(
    rooms.map((room) => {
      const sub = client.subscribe(room);
      sub.on('publication', (message) => {
        log[room].push(message);
        if (!smoke) console.log(`[${user} via node ${node.name}] ${room} ${message.from}: ${message.text}`);
      });
      return [room, sub];
    }),
  );
  client.subscribe('dashboard').on('publication', (m) => dashboard.add(m.node));
  return { user, client, subs, log, dashboard, say: (room, text) => subs[room].publish({ from: user, text }) };
}

const redis = await startRedis();
const nodeA = await startNode('A', redis.url);
const nodeB = await startNode('B', redis.url);
console.log(`two nodes on ${redis.url}: A ${nodeA.url}  B ${nodeB.url}`);
const alice = joinAs('alice', nodeA);
const bob = joinAs('bob', nodeB);

const stopAll = async () => {
  await alice.client.close();
  await bob.client.close();
  await nodeA.close();
  await nodeB.close();
  await redis.stop();
};

await Promise.all(
  [alice, bob].flatMap((u) => Object.values(u.subs).map((s) => new Promise((r) => (s.state === 'subscribed' ? r() : s.once('subscribed', r))))),
);

if (smoke) {
  const plan = [];
  for (let i = 0; i < 20; i++) plan.push([i % 2 ? bob : alice, rooms[i % 3 === 0 ? 1 : 0], `message ${i}`]);
  for (const [user, room, text] of plan) await user.say(room, text);
  const deadline = Date.now() + 10_000;
  const expected = (room) => plan.filter(([, r]) => r === room).length;
  while (Date.now() < deadline && !rooms.every((r) => alice.log[r].length >= expected(r) && bob.log[r].length >= expected(r) && alice.dashboard.size === 2 && bob.dashboard.size === 2)) {
    await new Promise((r) => setTimeout(r, 20));
  }
  let ok = alice.dashboard.size === 2 && bob.dashboard.size === 2;
  for (const room of rooms) {
    const want = plan.filter(([, r]) => r === room).map(([u, , text]) => `${u.user}:${text}`);
    for (const u of [alice, bob]) {
      const got = u.log[room].map((m) => `${m.from}:${m.text}`);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        ok = false;
        console.error(`${u.user} in ${room}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      }
    }
  }
  console.log(ok ? 'chat-cluster smoke: every message reached both users once, in order, across both nodes' : 'chat-cluster smoke FAILED');
  await stopAll();
  process.exit(ok ? 0 : 1);
}

await alice.say('room:lobby', 'hi Bob, I am on node A');
await bob.say('room:lobby', 'hi Alice, I am on node B');
await bob.say('room:random', 'both rooms work across nodes');
process.once('SIGINT', () => void stopAll().then(() => process.exit(0)));
