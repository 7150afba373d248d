// In-process Continuum servers on the test Redis (each with its own store: a "node"),
// Node clients and FaultProxies, all closed after each test.
import { afterEach } from 'vitest';
import { Client, type NodeClientOptions, type Subscription } from '@continuum/node';
import { createServer, type ContinuumServer, type ServerOptions } from '@continuum/server';
import { FaultProxy } from '@continuum/testing';
import type { RedisStore } from '../../src/index.js';
import { newStore } from './setup.js';

const servers = new Set<ContinuumServer<any>>();
const clients = new Set<Client<any, any>>();
const proxies = new Set<FaultProxy>();

afterEach(async () => {
  await Promise.all([...clients].map((c) => c.close()));
  clients.clear();
  await Promise.all([...proxies].map((p) => p.close()));
  proxies.clear();
  await Promise.all([...servers].map((s) => s.close({ timeoutMs: 100 })));
  servers.clear();
});

export interface Node {
  server: ContinuumServer;
  store: RedisStore;
}

/** A server with its own Redis store (a separate node of the cluster). */
export async function startNode(options: Partial<ServerOptions> = {}): Promise<Node> {
  const store = newStore();
  const server = await createServer({ host: '127.0.0.1', port: 0, store, ...options });
  servers.add(server);
  return { server, store };
}

export async function startProxy(target: string): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ target });
  proxies.add(proxy);
  return proxy;
}

export function connect(url: string, options: NodeClientOptions = {}): Client {
  const client = new Client(url, { backoff: { initialMs: 10, maxMs: 50 }, connectTimeoutMs: 2000, ...options });
  client.on('error', () => {});
  clients.add(client);
  return client;
}

export interface Recorder {
  publications: { data: string | Uint8Array; offset: number; epoch: string }[];
  subscribed: { recovered: boolean; offset: number; epoch: string }[];
  gaps: { from: number; to: number | null }[];
}

export function record(sub: Subscription<any, any>): Recorder {
  const r: Recorder = { publications: [], subscribed: [], gaps: [] };
  sub.on('publication', (data, meta) => r.publications.push({ data, ...meta }));
  sub.on('subscribed', (e) => r.subscribed.push(e));
  sub.on('gap', (g) => r.gaps.push(g));
  return r;
}

export const offsets = (r: Recorder) => r.publications.map((p) => p.offset);
export const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
