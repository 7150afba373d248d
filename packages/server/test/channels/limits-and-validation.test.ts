// Channel names are validated on both sides with a clear error; options are validated
// at startup; a session cannot hold more than maxSubscriptionsPerSession subscriptions.
import { describe, expect, it, vi } from 'vitest';
import { isContinuumError } from '@continuum/protocol';
import { createServer } from '../../src/index.js';
import { connect, record, startServer } from './helpers.js';

describe('channel names', () => {
  it('client.subscribe throws INVALID_ARGUMENT for an invalid name or since', async () => {
    const server = await startServer();
    const client = connect(server.url);
    for (const name of ['', 'a b', 'x'.repeat(201), 'ünïcode', 42 as unknown as string]) {
      let thrown: unknown;
      try {
        client.subscribe(name);
      } catch (error) {
        thrown = error;
      }
      expect(isContinuumError(thrown, 'INVALID_ARGUMENT')).toBe(true);
      expect((thrown as Error).message).toMatch(/invalid channel name/);
    }
    expect(() => client.subscribe('ok', { since: { offset: -1, epoch: 'e' } })).toThrow(/since must be/);
    expect(() => client.subscribe('ok', { since: { offset: 1 } as never })).toThrow(/since must be/);
    expect(client.subscriptionCount).toBe(0);
    expect(client.subscribe('x'.repeat(200)).channel).toHaveLength(200);
  });

  it('server.publish throws TypeError / RangeError for a bad name, data or size', async () => {
    const server = await startServer({ maxMessageBytes: 100 });
    expect(() => server.publish('a b', 'x')).toThrow(TypeError);
    expect(() => server.publish('a b', 'x')).toThrow(/invalid channel name "a b"/);
    expect(() => server.publish('ok', 5 as never)).toThrow(TypeError);
    expect(() => server.publish('ok', 'x'.repeat(101))).toThrow(RangeError);
  });

  it.each([
    [{ channels: 5 }, TypeError, /channels must be an object/],
    [{ channels: { historyMax: 5 } }, TypeError, /unknown option "channels.historyMax"/],
    [{ channels: { historyMaxMessages: -1 } }, RangeError, /channels.historyMaxMessages/],
    [{ channels: { maxSubscriptionsPerSession: 0 } }, RangeError, /channels.maxSubscriptionsPerSession/],
    [{ channels: { historyMaxAgeMs: 1.5 } }, TypeError, /channels.historyMaxAgeMs must be an integer/],
    [{ authorize: 'yes' }, TypeError, /authorize must be a function/],
  ])('createServer(%j) throws', async (options, type, message) => {
    const attempt = createServer({ port: 0, ...(options as object) });
    await expect(attempt).rejects.toThrow(type);
    await expect(attempt).rejects.toThrow(message);
  });
});

describe('maxSubscriptionsPerSession', () => {
  it('refuses subscriptions past the limit with REJECTED_BY_SERVER', async () => {
    const server = await startServer({ channels: { maxSubscriptionsPerSession: 2 } });
    const client = connect(server.url);
    const [a, b, c] = ['a', 'b', 'c'].map((ch) => record(client.subscribe(ch)));
    await vi.waitFor(() => expect(c.unsubscribed).toHaveLength(1));
    await vi.waitFor(() => expect(a.subscribed.length + b.subscribed.length).toBe(2));
    expect(c.unsubscribed[0]).toMatchObject({ code: 'REJECTED_BY_SERVER', reason: expect.stringMatching(/too many subscriptions/) });
    expect(client.subscriptionCount).toBe(2);
    expect(server.channels.subscriptions).toBe(2);
  });
});
