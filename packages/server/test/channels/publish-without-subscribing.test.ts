// client.publish(): a producer publishes to a channel it never subscribed to. The
// subscribers get it once, in offset order; the producer receives nothing and holds no
// subscription; authorize() still decides.
import { describe, expect, it, vi } from 'vitest';
import { isContinuumError } from '@continuum/node';
import { connect, offsets, record, startServer } from './helpers.js';

describe('client.publish() without a subscription', () => {
  it('reaches the subscribers; the producer holds no subscription and receives nothing', async () => {
    const server = await startServer();
    const reader = connect(server.url);
    const producer = connect(server.url);
    const r = record(reader.subscribe('prices'));
    await vi.waitFor(() => expect(r.subscribed).toHaveLength(1));
    const received: unknown[] = [];
    producer.on('message', (data) => received.push(data));
    await producer.publish('prices', 'p1'); // resolves once appended
    await producer.publish('prices', new Uint8Array([2]));
    await vi.waitFor(() => expect(offsets(r)).toEqual([1, 2]));
    expect(r.publications.map((p) => (typeof p.data === 'string' ? p.data : [...p.data]))).toEqual(['p1', [2]]);
    expect(producer.subscriptionCount).toBe(0);
    expect(server.channels.subscribers('prices')).toBe(1);
    expect(received).toEqual([]);
  });

  it('authorize() refuses it: REJECTED_BY_SERVER, nothing appended; an invalid name throws INVALID_ARGUMENT', async () => {
    const server = await startServer({ authorize: (_session, channel, action) => action === 'subscribe' || channel.startsWith('open:') });
    const producer = connect(server.url);
    const refused = await producer.publish('closed:1', 'x').catch((error: unknown) => error);
    expect(isContinuumError(refused, 'REJECTED_BY_SERVER')).toBe(true);
    await producer.publish('open:1', 'y');
    expect((await server.publish('closed:1', 'from the server')).offset).toBe(1);
    expect(() => producer.publish('no spaces allowed', 'z')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
