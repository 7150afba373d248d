// A session that cannot be resumed: the session event reports previousId, gap and
// what happened to the unacknowledged messages; those the old session handled
// resolve; the rest are re-sent as RESEND frames keyed by (old id, old seq), or
// rejected SESSION_LOST with onSessionLost: 'reject'.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { FrameKind } from '@continuum/protocol';
import { flush, start, track } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

async function loseSession(options: Parameters<typeof start>[0] = {}) {
  const ctx = start(options);
  const { server, client, events } = ctx;
  const first = await server.open({ id: 'old', token: 'old-token' });
  first.data(1, 0, ['s1', 's2', 's3']);
  const sent = ['a', 'b', 'c', 'd'].map((m) => track(client.send(m)));
  await flush();
  first.closeFromServer(1006, '', false);
  const offline = track(client.send('e'));
  await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
  const second = await server.next();
  second.accept();
  await flush();
  expect(second.hello().resume).toEqual({ id: 'old', token: 'old-token', recv: 3 });
  second.welcome({ id: 'new', token: 'new-token', resumed: false, recv: 0, ack: 0, gap: { from: 4, to: 9 }, previous: { id: 'old', ack: 2 } });
  await flush();
  return { ...ctx, second, sent, offline };
}

describe('session lost', () => {
  it("'resend' (default): settles up to previous.ack, re-sends the rest as RESEND with their origin", async () => {
    const { client, events, second, sent, offline, messages } = await loseSession();
    expect(events.sessions.at(-1)).toEqual({
      id: 'new',
      resumed: false,
      previousId: 'old',
      gap: { from: 4, to: 9 },
      unsent: { resent: 2, rejected: 0 },
    });
    expect(sent.map((p) => p.status)).toEqual(['resolved', 'resolved', 'pending', 'pending']);
    const frames = second.dataFrames().filter((f) => f.kind !== FrameKind.ACK);
    expect(frames).toEqual([
      { kind: FrameKind.RESEND, ack: 0, seq: 1, originId: 'old', originSeq: 3, entry: { data: 'c' } },
      { kind: FrameKind.RESEND, ack: 0, seq: 2, originId: 'old', originSeq: 4, entry: { data: 'd' } },
      { kind: FrameKind.DATA, ack: 0, firstSeq: 3, entries: [{ data: 'e' }] },
    ]);
    // the new session numbers server messages from 1 again
    second.data(1, 3, ['n1']);
    await flush();
    expect(messages.at(-1)).toEqual({ data: 'n1', seq: 1 });
    expect([...sent, offline].map((p) => p.status)).toEqual(['resolved', 'resolved', 'resolved', 'resolved', 'resolved']);
    expect(client.stats().sessionsLost).toBe(1);
  });

  it("'reject': the unacknowledged ones reject SESSION_LOST and are not sent again", async () => {
    const { events, second, sent, offline } = await loseSession({ onSessionLost: 'reject' });
    expect(events.sessions.at(-1)).toMatchObject({ previousId: 'old', gap: { from: 4, to: 9 }, unsent: { resent: 0, rejected: 2 } });
    expect(sent.map((p) => p.status)).toEqual(['resolved', 'resolved', 'rejected', 'rejected']);
    expect(sent[2].error.code).toBe('SESSION_LOST');
    expect(second.dataFrames().filter((f) => f.kind === FrameKind.RESEND)).toEqual([]);
    // a message never transmitted is not part of the lost session: it is sent normally
    expect(second.dataFrames().filter((f) => f.kind === FrameKind.DATA)).toMatchObject([{ firstSeq: 1, entries: [{ data: 'e' }] }]);
    expect(offline.status).toBe('pending');
  });

  it('the session event precedes every message of the new session', async () => {
    const ctx = start();
    const order: string[] = [];
    ctx.client.on('session', (e) => order.push(`session ${e.id}`));
    ctx.client.on('message', (d) => order.push(`message ${d}`));
    const first = await ctx.server.open({ id: 'old' });
    first.closeFromServer(1006, '', false);
    await vi.advanceTimersByTimeAsync(ctx.events.retries[0].delayMs);
    const second = await ctx.server.next();
    second.accept();
    await flush();
    second.welcome({ id: 'new', resumed: false, gap: { from: 1, to: null } });
    second.data(1, 0, ['first']);
    expect(order).toEqual(['session old', 'session new', 'message first']);
    expect(ctx.events.sessions.at(-1)).toMatchObject({ id: 'new', resumed: false, previousId: 'old', gap: { from: 1, to: null } });
  });

  it('without previous, nothing is assumed handled: every unacked message is re-sent', async () => {
    const ctx = start();
    const first = await ctx.server.open({ id: 'old' });
    const a = track(ctx.client.send('a'));
    await flush();
    first.closeFromServer(1006, '', false);
    await vi.advanceTimersByTimeAsync(ctx.events.retries[0].delayMs);
    const second = await ctx.server.open({ id: 'new', resumed: false });
    expect(a.status).toBe('pending');
    expect(second.dataFrames()).toMatchObject([{ kind: FrameKind.RESEND, seq: 1, originId: 'old', originSeq: 1, entry: { data: 'a' } }]);
  });

  it('after the app closed and connected again: a new session, no resume, no gap', async () => {
    const ctx = start({ autoConnect: false });
    ctx.client.connect();
    await ctx.server.open({ id: 'old' });
    await ctx.client.close();
    ctx.client.connect();
    const socket = await ctx.server.next();
    socket.accept();
    await flush();
    expect(socket.hello().resume).toBeUndefined();
    socket.welcome({ id: 'new', resumed: false, gap: { from: 1, to: 5 } });
    await flush();
    expect(ctx.events.sessions.at(-1)).toEqual({ id: 'new', resumed: false });
  });
});
