// The real Node client (`@continuum/node`) against the real server: created with fast
// reconnects, recorded, and closed after each test whatever happened.
import { afterEach } from 'vitest';
import {
  Client,
  type CloseEvent,
  type ContinuumError,
  type MessageMeta,
  type NodeClientOptions,
  type RetryEvent,
  type SessionEvent,
} from '@continuum/node';

const clients = new Set<Client<any, any>>();

afterEach(async () => {
  await Promise.all([...clients].map((c) => c.close()));
  clients.clear();
});

/** What a client reported, in order. */
export interface ClientLog {
  sessions: SessionEvent[];
  closes: CloseEvent[];
  errors: ContinuumError[];
  retries: RetryEvent[];
  messages: { data: unknown; meta: MessageMeta }[];
}

/**
 * A Node client (closed after the test) with a recording of its events. Reconnects are
 * fast (`backoff.maxMs` 200 ms caps every delay, retry hints included) unless overridden.
 */
export function nodeClient(
  url: string,
  options: NodeClientOptions = {},
): { client: Client; log: ClientLog } {
  const client = new Client(url, { ...options, backoff: { maxMs: 200, ...options.backoff } });
  clients.add(client);
  const log: ClientLog = { sessions: [], closes: [], errors: [], retries: [], messages: [] };
  client.on('session', (e) => log.sessions.push(e));
  client.on('close', (e) => log.closes.push(e));
  client.on('error', (e) => log.errors.push(e));
  client.on('retry', (e) => log.retries.push(e));
  client.on('message', (data, meta) => log.messages.push({ data, meta }));
  return { client, log };
}

/** Resolves with the client's next `session` event. */
export function nextClientSession(client: Client<any, any>): Promise<SessionEvent> {
  return new Promise((resolve) => {
    const off = client.on('session', (e) => {
      off();
      resolve(e);
    });
  });
}
