// Resume after a server-side drop: the hello carries {id, token, recv}; a resumed
// welcome makes the client retransmit exactly what the server did not receive, in
// order with the same seqs, and settle what the server acknowledged.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { flush, start, track, type FakeSocket } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** The server drops `socket` (1006); after the client's retry wait, its next socket is accepted (not yet welcomed). */
async function dropAndAccept(ctx: ReturnType<typeof start>, socket: FakeSocket): Promise<FakeSocket> {
  socket.closeFromServer(1006, '', false);
  await vi.advanceTimersByTimeAsync(ctx.events.retries.at(-1)!.delayMs);
  const next = await ctx.server.next();
  next.accept();
  await flush();
  return next;
}

describe('resume', () => {
  it('hello.resume after a 1006; welcome resumed → retransmit after recv, resolve up to ack', async () => {
    const { server, client, events, messages } = start();
    const first = await server.open({ id: 'sess-1', token: 'tok-1' });
    first.data(1, 0, ['s1', 's2']);
    const sent = ['a', 'b', 'c', 'd'].map((m) => track(client.send(m)));
    await flush();
    expect(first.dataFrames().filter((f) => f.kind === 1)).toMatchObject([{ firstSeq: 1, entries: [{ data: 'a' }, { data: 'b' }, { data: 'c' }, { data: 'd' }] }]);

    first.closeFromServer(1006, '', false);
    expect(events.closes).toMatchObject([{ code: 1006, willReconnect: true }]);
    expect(client.state).toBe('reconnecting');
    const e = track(client.send('e')); // sent while offline
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);

    const second = await server.next();
    second.accept();
    await flush();
    expect(second.hello()).toEqual({ t: 'hello', v: 1, resume: { id: 'sess-1', token: 'tok-1', recv: 2 } });
    second.welcome({ id: 'sess-1', token: 'tok-2', resumed: true, recv: 2, ack: 1 });
    await flush();

    expect(events.sessions.at(-1)).toEqual({ id: 'sess-1', resumed: true });
    expect(sent.map((p) => p.status)).toEqual(['resolved', 'pending', 'pending', 'pending']);
    const retransmitted = second
      .dataFrames()
      .flatMap((f) => (f.kind === 1 ? f.entries.map((x, i) => [f.firstSeq + i, x.data]) : f.kind === 2 ? [['resend']] : []));
    expect(retransmitted).toEqual([
      [3, 'c'],
      [4, 'd'],
      [5, 'e'],
    ]);

    second.data(3, 5, ['s3']); // replay continues; ack 5 covers everything
    await flush();
    expect([...sent, e].map((p) => p.status)).toEqual(['resolved', 'resolved', 'resolved', 'resolved', 'resolved']);
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(client.stats()).toMatchObject({ resumes: 1, sessionsLost: 0 });

    // the next resume uses the token of the latest welcome
    second.closeFromServer(1012, '', true);
    await vi.advanceTimersByTimeAsync(events.retries.at(-1)!.delayMs);
    const third = await server.next();
    third.accept();
    await flush();
    expect(third.hello().resume).toEqual({ id: 'sess-1', token: 'tok-2', recv: 3 });
  });

  it('the session event of a resume comes before the replayed messages', async () => {
    const { server, client, events } = start();
    const order: string[] = [];
    client.on('session', () => order.push('session'));
    client.on('message', (d) => order.push(`message ${d}`));
    const first = await server.open();
    first.closeFromServer(1001, '', true);
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    const second = await server.next();
    second.accept();
    await flush();
    second.welcome({ resumed: true });
    second.data(1, 0, ['replayed']);
    expect(order).toEqual(['session', 'session', 'message replayed']);
  });

  it("the session event says how many messages the server sends again (welcome.sent − the client's recv)", async () => {
    const ctx = start();
    const { server, client, events } = ctx;
    const sessions: { resumed: boolean; replayed?: number }[] = [];
    client.on('session', (e) => sessions.push(e));
    const first = await server.open();
    first.data(1, 0, ['m1', 'm2']);
    await flush();
    const second = await dropAndAccept(ctx, first);
    expect(second.hello().resume?.recv).toBe(2);
    second.welcome({ resumed: true, sent: 5 });
    second.data(3, 0, ['m3', 'm4', 'm5']);
    await flush();
    expect(sessions.map((e) => e.replayed)).toEqual([undefined, 3]);
    // A server that claims to have sent less than the client received breaks the protocol.
    const third = await dropAndAccept(ctx, second);
    third.welcome({ resumed: true, sent: 4 });
    await flush();
    expect(events.errors.map((e) => e.code)).toContain('PROTOCOL_ERROR');
    expect(sessions).toHaveLength(2);
  });

  it('nothing is resent when the server received everything', async () => {
    const ctx = start();
    const { server, client } = ctx;
    const first = await server.open();
    void client.send('a');
    void client.send('b');
    await flush();
    const second = await dropAndAccept(ctx, first);
    second.welcome({ resumed: true, recv: 2, ack: 0 });
    await flush();
    expect(second.dataFrames().filter((f) => f.kind === 1 || f.kind === 2)).toEqual([]);
    second.ack(2);
    await flush();
    expect(client.stats().outboxMessages).toBe(0);
  });
});
