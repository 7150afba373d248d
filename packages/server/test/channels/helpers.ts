// Channel tests run a real server on 127.0.0.1:0 and the real Node client, optionally
// through a FaultProxy. Everything started here is closed after each test, whatever happened.
import { afterEach } from 'vitest';
import { Client, type NodeClientOptions, type Subscription } from '@continuum/node';
import { FaultProxy } from '@continuum/testing';
import { createServer, type ContinuumServer, type ServerOptions } from '../../src/index.js';

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

export async function startServer<Identity = unknown>(options: Partial<ServerOptions<Identity>> = {}): Promise<ContinuumServer<Identity>> {
  const server = await createServer<Identity>({ host: '127.0.0.1', port: 0, ...options });
  servers.add(server);
  return server;
}

export async function startProxy(target: string): Promise<FaultProxy> {
  const proxy = await FaultProxy.start({ target });
  proxies.add(proxy);
  return proxy;
}

/** A client with fast reconnects, closed after the test. */
export function connect(url: string, options: NodeClientOptions = {}): Client {
  const client = new Client(url, {
    backoff: { initialMs: 10, maxMs: 50 },
    connectTimeoutMs: 2000,
    ...options,
  });
  client.on('error', () => {}); // reported errors are asserted where they matter
  clients.add(client);
  return client;
}

export interface Recorder {
  publications: { data: string | Uint8Array; offset: number; epoch: string }[];
  subscribed: { recovered: boolean; offset: number; epoch: string }[];
  gaps: { from: number; to: number | null }[];
  errors: { code: string; message: string }[];
  unsubscribed: { code?: string; reason: string }[];
  /** Everything in arrival order, for ordering assertions. */
  events: string[];
}

/** Records every event of a subscription. */
export function record(sub: Subscription<any, any>): Recorder {
  const r: Recorder = { publications: [], subscribed: [], gaps: [], errors: [], unsubscribed: [], events: [] };
  sub.on('publication', (data, meta) => {
    r.publications.push({ data, ...meta });
    r.events.push(`publication ${meta.offset}`);
  });
  sub.on('subscribed', (e) => {
    r.subscribed.push(e);
    r.events.push(`subscribed ${e.recovered} ${e.offset}`);
  });
  sub.on('gap', (g) => {
    r.gaps.push(g);
    r.events.push(`gap ${g.from}-${g.to}`);
  });
  sub.on('error', (e) => {
    r.errors.push({ code: e.code, message: e.message });
    r.events.push(`error ${e.code}`);
  });
  sub.on('unsubscribed', (e) => {
    r.unsubscribed.push(e);
    r.events.push('unsubscribed');
  });
  return r;
}

/** Offsets of the recorded publications. */
export const offsets = (r: Recorder): number[] => r.publications.map((p) => p.offset);

/** 1, 2, …, n. */
export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
