// The real client's volatile send while offline rejects NOT_CONNECTED (never queued).
import { expect, test, vi } from 'vitest';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test("the client's volatile send while offline rejects NOT_CONNECTED; the server never sees it", async () => {
  const server = await startServer();
  const seen: unknown[] = [];
  server.on('session', (s) => s.on('message', (data, meta) => void seen.push([data, meta])));
  const { client, log } = nodeClient(server.url, { autoConnect: false });
  // Before connecting.
  await expect(client.send('typing', { volatile: true })).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  client.connect();
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));
  await client.send('typing now', { volatile: true });
  await vi.waitFor(() => expect(seen).toEqual([['typing now', { seq: 0, volatile: true }]]));

  // While the server is away.
  await server.close({ timeoutMs: 100 });
  await vi.waitFor(() => expect(client.state).not.toBe('open'));
  await expect(client.send('typing again', { volatile: true })).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
  expect(seen).toHaveLength(1);
});
