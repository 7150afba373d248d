// The client side of channels against a scripted server (PROTOCOL.md §14): offsets
// delivered once and in order, duplicates dropped, a skip or an epoch change answered
// by a re-subscribe from the last delivered position, and gaps reported as given.
import { describe, expect, it, vi, beforeEach, afterEach } from 'vitest';
import { encodePublication, type SubscribedMessage } from '@continuum/protocol';
import type { Subscription } from '@continuum/core';
import { flush, start, type FakeSocket } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function watch(sub: Subscription<any, any>) {
  const log: string[] = [];
  sub.on('publication', (data, { offset, epoch }) => log.push(`${epoch}/${offset}=${data}`));
  sub.on('subscribed', (e) => log.push(`subscribed ${e.recovered} ${e.epoch}/${e.offset}`));
  sub.on('gap', (g) => log.push(`gap ${g.from}-${g.to}`));
  sub.on('unsubscribed', (e) => log.push(`unsubscribed ${e.code ?? ''}`.trim()));
  sub.on('error', (e) => log.push(`error ${e.code}`));
  return log;
}

const subscribed = (ch: string, offset: number, epoch: string, recovered = false, gap?: SubscribedMessage['gap']): SubscribedMessage => ({
  t: 'subscribed',
  ch,
  offset,
  epoch,
  recovered,
  ...(gap && { gap }),
});

const pub = (socket: FakeSocket, ch: string, epoch: string, first: number, ...data: string[]) =>
  socket.raw(encodePublication(ch, epoch, first, data.map((d) => ({ data: d }))));

const subs = (socket: FakeSocket) => socket.controls().filter((c) => c.t === 'sub' || c.t === 'unsub');

describe('channel delivery', () => {
  it('subscribes after the welcome, delivers in order, drops duplicates', async () => {
    const { server, client } = start();
    const sub = client.subscribe('room');
    const log = watch(sub);
    const socket = await server.open();
    expect(subs(socket)).toEqual([{ t: 'sub', ch: 'room' }]);
    socket.control(subscribed('room', 4, 'E'));
    pub(socket, 'room', 'E', 5, 'a', 'b');
    pub(socket, 'room', 'E', 5, 'a', 'b', 'c'); // overlaps: 5 and 6 are duplicates
    pub(socket, 'room', 'E', 3, 'old');
    expect(log).toEqual(['subscribed false E/4', 'E/5=a', 'E/6=b', 'E/7=c']);
    expect(sub.since).toEqual({ offset: 7, epoch: 'E' });
    expect(subs(socket)).toHaveLength(1);
  });

  it('a skip re-subscribes from the last delivered offset; nothing is delivered until the answer', async () => {
    const { server, client } = start();
    const log = watch(client.subscribe('room'));
    const socket = await server.open();
    socket.control(subscribed('room', 0, 'E'));
    pub(socket, 'room', 'E', 1, 'a');
    pub(socket, 'room', 'E', 3, 'c'); // 2 is missing
    expect(subs(socket).at(-1)).toEqual({ t: 'sub', ch: 'room', since: { offset: 1, epoch: 'E' } });
    pub(socket, 'room', 'E', 4, 'd'); // still from before the re-subscribe: dropped
    socket.control(subscribed('room', 1, 'E', true));
    pub(socket, 'room', 'E', 2, 'b', 'c', 'd');
    expect(log).toEqual(['subscribed false E/0', 'E/1=a', 'subscribed true E/1', 'E/2=b', 'E/3=c', 'E/4=d']);
  });

  it('a publication of another epoch re-subscribes; the answer reports the gap', async () => {
    const { server, client } = start();
    const log = watch(client.subscribe('room'));
    const socket = await server.open();
    socket.control(subscribed('room', 0, 'E1'));
    pub(socket, 'room', 'E1', 1, 'a');
    pub(socket, 'room', 'E2', 1, 'x');
    expect(subs(socket).at(-1)).toEqual({ t: 'sub', ch: 'room', since: { offset: 1, epoch: 'E1' } });
    socket.control(subscribed('room', 1, 'E2', false, { from: 2, to: null }));
    pub(socket, 'room', 'E2', 2, 'y');
    expect(log).toEqual(['subscribed false E1/0', 'E1/1=a', 'gap 2-null', 'subscribed false E2/1', 'E2/2=y']);
  });

  it('re-subscribes with since after every welcome, and reports the gap the server names', async () => {
    const { server, client, events } = start({ backoff: { initialMs: 1, maxMs: 1 } });
    const log = watch(client.subscribe('room'));
    const first = await server.open();
    first.control(subscribed('room', 10, 'E'));
    pub(first, 'room', 'E', 11, 'k');
    first.closeFromServer(1006);
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    const second = await server.open({ resumed: true, recv: 0, ack: 0 });
    expect(subs(second)).toEqual([{ t: 'sub', ch: 'room', since: { offset: 11, epoch: 'E' } }]);
    second.control(subscribed('room', 20, 'E', false, { from: 12, to: 20 }));
    pub(second, 'room', 'E', 21, 'u');
    expect(log).toEqual(['subscribed false E/10', 'E/11=k', 'gap 12-20', 'subscribed false E/20', 'E/21=u']);
  });

  it('answers for a cancelled subscription do not reach a newer one of the same channel', async () => {
    const { server, client } = start();
    const socket = await server.open();
    const old = client.subscribe('room');
    const oldLog = watch(old);
    old.unsubscribe();
    const fresh = client.subscribe('room');
    const log = watch(fresh);
    expect(subs(socket)).toEqual([{ t: 'sub', ch: 'room' }, { t: 'unsub', ch: 'room' }, { t: 'sub', ch: 'room' }]);
    // The server answers the three in order.
    socket.control(subscribed('room', 0, 'E'));
    pub(socket, 'room', 'E', 1, 'for the old one');
    socket.control({ t: 'unsubscribed', ch: 'room' });
    socket.control(subscribed('room', 1, 'E'));
    pub(socket, 'room', 'E', 2, 'for the new one');
    expect(oldLog).toEqual(['unsubscribed']);
    expect(log).toEqual(['subscribed false E/1', 'E/2=for the new one']);
    expect(fresh.state).toBe('subscribed');
  });

  it('a refusal ends the subscription with an error and removes it from the registry', async () => {
    const { server, client } = start();
    const sub = client.subscribe('secret');
    const log = watch(sub);
    const socket = await server.open();
    socket.control({ t: 'unsubscribed', ch: 'secret', code: 'AUTH_FORBIDDEN', message: 'no' });
    expect(log).toEqual(['error AUTH_FORBIDDEN', 'unsubscribed AUTH_FORBIDDEN']);
    expect(client.getSubscription('secret')).toBeUndefined();
    expect(client.subscriptionCount).toBe(0);
    // A publication for a channel no longer subscribed is dropped silently.
    pub(socket, 'room', 'E', 1, 'x');
  });

  it('publish sends a channel-addressed DATA entry, settled by the ack or a nack', async () => {
    const { server, client } = start();
    const socket = await server.open();
    const sub = client.subscribe('room');
    const ok = sub.publish('hi');
    const refused = sub.publish('no');
    await flush();
    const data = socket.dataFrames().filter((f) => f.kind === 1);
    expect(data).toMatchObject([{ firstSeq: 1, entries: [{ data: 'hi', channel: 'room' }, { data: 'no', channel: 'room' }] }]);
    socket.nack(2, 'not allowed to publish to room');
    socket.ack(2);
    await expect(ok).resolves.toBeUndefined();
    await expect(refused).rejects.toMatchObject({ code: 'REJECTED_BY_SERVER', message: 'not allowed to publish to room' });
  });

  it('close() ends every subscription and empties the registry', async () => {
    const { server, client } = start();
    const a = watch(client.subscribe('a'));
    const b = watch(client.subscribe('b'));
    await server.open();
    await client.close();
    expect(a).toEqual(['unsubscribed']);
    expect(b).toEqual(['unsubscribed']);
    expect(client.subscriptionCount).toBe(0);
  });
});
