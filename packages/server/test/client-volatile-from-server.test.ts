// Volatile server→client messages with the real client: sent only while a socket is
// attached, arriving with meta.volatile, never replayed after a resume.
import { expect, test, vi } from 'vitest';
import type { Session } from '../src/index.js';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';
import { sessionEvent } from './helpers/sessions.js';

test('session.send(volatile) while disconnected returns false and never arrives; while connected it arrives with meta.volatile', async () => {
  const server = await startServer();
  let session!: Session;
  server.on('session', (s) => (session = s));
  const { client, log } = nodeClient(server.url, { autoConnect: false });
  client.connect();
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));

  expect(session.send('cursor 1', { volatile: true })).toBe(true);
  await vi.waitFor(() => expect(log.messages).toHaveLength(1));
  expect(log.messages[0]).toEqual({ data: 'cursor 1', meta: { seq: 0, volatile: true } });

  // Disconnected: the server session waits for a resume.
  const closed = sessionEvent(session, 'close');
  client.reconnect();
  await closed;
  expect(session.connected).toBe(false);
  expect(session.send('cursor 2', { volatile: true })).toBe(false);
  expect(session.send('sequenced')).toBe(true);

  await vi.waitFor(() => expect(log.sessions).toHaveLength(2));
  expect(log.sessions[1].resumed).toBe(true);
  await vi.waitFor(() => expect(log.messages).toHaveLength(2));
  // Only the sequenced message was replayed; the volatile one is gone.
  expect(log.messages[1]).toEqual({ data: 'sequenced', meta: { seq: 1 } });
  await new Promise((r) => setTimeout(r, 50));
  expect(log.messages.map((m) => m.data)).toEqual(['cursor 1', 'sequenced']);
});
