// Starts servers on 127.0.0.1:0 and closes them after each test, whatever happened.
import { afterEach } from 'vitest';
import { createServer, type ContinuumServer, type ServerOptions } from '../../src/index.js';
import { RawClient, type RawClientOptions } from './raw-client.js';

const servers = new Set<ContinuumServer<any>>();
const clients = new Set<RawClient>();

afterEach(async () => {
  for (const client of clients) client.ws.terminate();
  clients.clear();
  await Promise.all([...servers].map((s) => s.close({ timeoutMs: 100 })));
  servers.clear();
});

export async function startServer<Identity = unknown>(
  options: Partial<ServerOptions<Identity>> = {},
): Promise<ContinuumServer<Identity>> {
  const server = await createServer<Identity>({ host: '127.0.0.1', port: 0, ...options });
  servers.add(server);
  return server;
}

/** A raw client that is terminated after the test. */
export function track(client: RawClient): RawClient {
  clients.add(client);
  return client;
}

/** Opens a raw client (terminated after the test) and waits for the socket. */
export async function connect(url: string, options?: RawClientOptions): Promise<RawClient> {
  const client = track(new RawClient(url, options));
  await client.opened;
  return client;
}

/** Opens a raw client, sends hello and waits for the welcome. */
export async function session(
  url: string,
  hello: { resume?: { id: string; token: string; recv: number }; auth?: string } = {},
  options?: RawClientOptions,
): Promise<RawClient> {
  const client = await connect(url, options);
  // A resuming client has delivered everything up to resume.recv.
  if (hello.resume) client.recv = hello.resume.recv;
  client.hello(hello.resume, hello.auth);
  const welcome = await client.waitWelcome();
  // Like a real client, continue numbering after what the server received.
  if (welcome.resumed) client.nextSeq = welcome.recv + 1;
  return client;
}
