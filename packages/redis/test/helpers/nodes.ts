// In-process Continuum servers on the test Redis (each with its own store: a "node"),
// Node clients and FaultProxies, all closed after each test. Starting, connecting,
// recording and closing are the server package's channel-test helpers; only the node
// (a server with its own Redis store) is added here.
import type { ContinuumServer, ServerOptions } from '@continuum/server';
import type { RedisStore } from '../../src/index.js';
// setup.js first: its afterEach (closing stores, flushing Redis) must be registered
// before the helpers' one, so that servers and clients close before their stores.
import { newStore } from './setup.js';
import { startServer } from '../../../server/test/channels/helpers.js';

export { connect, offsets, range, record, startProxy, type Recorder } from '../../../server/test/channels/helpers.js';

export interface Node {
  server: ContinuumServer;
  store: RedisStore;
}

/** A server with its own Redis store (a separate node of the cluster). */
export async function startNode(options: Partial<ServerOptions> = {}): Promise<Node> {
  const store = newStore();
  const server = await startServer({ store, ...options });
  return { server, store };
}
