// partykit #403: messages sent just before the socket is replaced for a fresh credential
// must not be lost. The server closes 4401 at expiry (refreshLeadMs 0: it never asks for
// a refresh in-band); sends made in the same turn, just before that close, travel on a
// socket the server has already given up on. The client fetches a fresh token,
// reconnects, resumes and sends them again: each is handled once, in order, and resolves.
import { expect, onTestFinished, test, vi } from 'vitest';
import { withExpiry, type Session } from '../src/index.js';
import { CredentialWatch } from '../src/expiry.js';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test('20 sends made right before the 4401 at credential expiry: all resolve, each handled once, in order', async () => {
  const LIFETIME_MS = 300;
  const server = await startServer({
    refreshLeadMs: 0,
    // The first credential expires soon; the fresh ones outlive the test.
    authenticate: ({ token }) => withExpiry({ user: 'alice' }, Date.now() + (token === 'alice-1' ? LIFETIME_MS : 60_000)),
  });
  const sessions: Session<unknown>[] = [];
  const handled: string[] = [];
  server.on('session', (s) => {
    sessions.push(s);
    s.on('message', (data) => void handled.push(String(data)));
  });
  let n = 0;
  const { client, log } = nodeClient(server.url, { token: () => `alice-${++n}` });

  const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
  const sends: { promise: Promise<void>; settled: boolean }[] = [];
  // The watch's timer turn that ends in the 4401: the app sends first, in the same turn.
  const original = CredentialWatch.prototype.due;
  const due = vi.spyOn(CredentialWatch.prototype, 'due').mockImplementation(function (this: CredentialWatch) {
    const expiresAt = (this as unknown as { expiresAt: number }).expiresAt;
    if (sends.length === 0 && Date.now() >= expiresAt) {
      for (const m of sent) {
        const entry = { promise: client.send(m), settled: false };
        entry.promise.finally(() => (entry.settled = true)).catch(() => {});
        sends.push(entry);
      }
    }
    original.call(this);
  });
  onTestFinished(() => due.mockRestore());
  let pendingAtClose: number | undefined;
  client.on('close', () => (pendingAtClose ??= sends.filter((s) => !s.settled).length));

  await vi.waitFor(() => expect(log.sessions).toHaveLength(2), { timeout: 5000 });
  await vi.waitFor(() => expect(sends.filter((s) => s.settled)).toHaveLength(20));
  const results = await Promise.allSettled(sends.map((s) => s.promise));

  // The race happened: the 20 were sent in the turn of the 4401, none acknowledged before it.
  expect(log.closes[0]).toMatchObject({ code: 4401, willReconnect: true });
  expect(pendingAtClose).toBe(20);

  expect(results.map((r) => r.status)).toEqual(sent.map(() => 'fulfilled'));
  expect(handled).toEqual(sent);
  expect(log.errors).toEqual([]);

  // How: a fresh token for the new socket, the same session resumed, all 20 sent again.
  expect(n).toBe(2);
  expect(log.sessions[1]).toMatchObject({ id: sessions[0].id, resumed: true });
  expect(client.stats().retransmitted).toBe(20);
});
