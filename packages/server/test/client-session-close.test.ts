// session.close(code, reason): the real client sees that close and stops for 1000 and
// 4400–4999; the server session emits 'close' then 'end' ('closed').
import { expect, test, vi } from 'vitest';
import type { Session } from '../src/index.js';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';
import { nextSession } from './helpers/sessions.js';

async function closedBy(code: number, reason: string) {
  const server = await startServer();
  const next = nextSession(server);
  const { client, log } = nodeClient(server.url);
  const session: Session = await next;
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));
  const events: unknown[] = [];
  session.on('close', (e) => events.push(['close', e]));
  session.on('end', (e) => events.push(['end', e]));
  session.close(code, reason);
  await vi.waitFor(() => expect(client.state).toBe('closed'));
  // Long enough for a reconnect (backoff.maxMs is 200 ms in tests) that must not come.
  await new Promise((r) => setTimeout(r, 400));
  return { server, client, log, events, session };
}

test.each([
  [1000, 'done here', undefined],
  [4403, 'banned', 'AUTH_FORBIDDEN'],
  [4499, 'app says stop', 'REJECTED_BY_SERVER'],
  [4999, 'terminal', 'REJECTED_BY_SERVER'],
])('close(%i): the client gets that code and reason and stops', async (code, reason, errorCode) => {
  const { server, log, events, session } = await closedBy(code, reason);
  expect(log.closes).toEqual([{ code, reason, wasClean: true, willReconnect: false }]);
  expect(log.retries).toEqual([]);
  expect(log.errors.map((e) => e.code)).toEqual(errorCode ? [errorCode] : []);
  expect(log.sessions).toHaveLength(1);
  expect(events).toEqual([
    ['close', { code, reason }],
    ['end', { reason: 'closed' }],
  ]);
  expect(session.state).toBe('ended');
  expect(server.sessions.size).toBe(0);
});

test('close(4100): a transient code, so the client reconnects into a new session and is told the old one is gone', async () => {
  const server = await startServer();
  const { log } = nodeClient(server.url);
  await vi.waitFor(() => expect(log.sessions).toHaveLength(1));
  const [first] = server.sessions;
  first.close(4100, 'start over');
  await vi.waitFor(() => expect(log.sessions).toHaveLength(2));
  expect(log.closes[0]).toMatchObject({ code: 4100, reason: 'start over', willReconnect: true });
  expect(log.sessions[1]).toMatchObject({ resumed: false, previousId: first.id });
  expect(log.sessions[1].id).not.toBe(first.id);
  expect(server.sessions.size).toBe(1);
});
