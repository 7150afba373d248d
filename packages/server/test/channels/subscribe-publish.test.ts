// The basic loop: subscribe, publish from the server app and from clients, receive in
// offset order; a publisher receives its own publication; publish() settles on the ack.
import { describe, expect, it, vi } from 'vitest';
import { connect, offsets, record, startServer } from './helpers.js';

describe('subscribe and publish', () => {
  it('delivers server and client publications to every subscriber, in offset order', async () => {
    const server = await startServer();
    const alice = connect(server.url);
    const bob = connect(server.url);
    const a = record(alice.subscribe('room:42'));
    const bSub = bob.subscribe('room:42');
    const b = record(bSub);
    await vi.waitFor(() => expect(a.subscribed.length + b.subscribed.length).toBe(2));
    expect(a.subscribed[0]).toMatchObject({ recovered: false, offset: 0 });
    expect(a.subscribed[0].epoch).toBe(b.subscribed[0].epoch);

    const position = await server.publish('room:42', 'from the server');
    expect(position).toEqual({ channel: 'room:42', offset: 1, epoch: a.subscribed[0].epoch });
    await bSub.publish('from bob'); // resolves once appended: it has offset 2
    await server.publish('room:42', new Uint8Array([1, 2, 3]));

    await vi.waitFor(() => expect(offsets(a)).toEqual([1, 2, 3]));
    await vi.waitFor(() => expect(offsets(b)).toEqual([1, 2, 3]));
    for (const r of [a, b]) {
      // Binary stays binary (Node's Buffer is a Uint8Array).
      expect(r.publications.map((p) => (typeof p.data === 'string' ? p.data : [...p.data]))).toEqual(['from the server', 'from bob', [1, 2, 3]]);
      expect(r.publications[2].data).toBeInstanceOf(Uint8Array);
      expect(new Set(r.publications.map((p) => p.epoch))).toEqual(new Set([a.subscribed[0].epoch]));
    }
    expect(server.channels.subscribers('room:42')).toBe(2);
  });

  it('keeps channels apart, and ignores publications of channels nobody here subscribed to', async () => {
    const server = await startServer();
    const client = connect(server.url);
    const one = record(client.subscribe('one'));
    const two = record(client.subscribe('two'));
    await vi.waitFor(() => expect(one.subscribed.length + two.subscribed.length).toBe(2));
    await server.publish('two', 'b1');
    await server.publish('three', 'nobody listens');
    await server.publish('one', 'a1');
    await server.publish('two', 'b2');
    await vi.waitFor(() => expect(two.publications.map((p) => p.data)).toEqual(['b1', 'b2']));
    await vi.waitFor(() => expect(one.publications.map((p) => p.data)).toEqual(['a1']));
    expect(offsets(two)).toEqual([1, 2]);
    expect(offsets(one)).toEqual([1]);
  });

  it('subscribe() of a subscribed channel returns the same subscription; a subscribe before the socket opens is sent after the welcome', async () => {
    const server = await startServer();
    const client = connect(server.url);
    const sub = client.subscribe('news');
    expect(client.subscribe('news')).toBe(sub);
    expect(client.getSubscription('news')).toBe(sub);
    expect(sub.state).toBe('subscribing');
    await vi.waitFor(() => expect(sub.state).toBe('subscribed'));
    expect(server.channels.subscribers('news')).toBe(1);
    expect(client.subscriptionCount).toBe(1);
  });

  it('decodes publications with the client codec', async () => {
    const server = await startServer();
    const client = connect(server.url, { codec: 'json' });
    const sub = client.subscribe('json');
    const got: unknown[] = [];
    sub.on('publication', (data) => got.push(data));
    await vi.waitFor(() => expect(sub.state).toBe('subscribed'));
    await sub.publish({ hello: 'world' } as never); // the json codec takes any value
    await server.publish('json', '[1,2]');
    await vi.waitFor(() => expect(got).toEqual([{ hello: 'world' }, [1, 2]]));
  });
});
