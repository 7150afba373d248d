// `authorize(session, channel, action)`: a refused subscribe is answered with
// `unsubscribed {code: 'AUTH_FORBIDDEN'}` (the client emits `error` and `unsubscribed`
// and forgets the subscription); a refused publish is nacked (`REJECTED_BY_SERVER`) and
// never reaches the channel. Sync and async verdicts, throws, and fail-closed results.
import { describe, expect, it, vi } from 'vitest';
import { AuthError, type Session } from '../../src/index.js';
import { connect, offsets, record, startServer } from './helpers.js';

type Identity = { user: string };

describe('authorize', () => {
  it('refuses subscribes by returning false, resolving false, throwing, or returning a non-true value', async () => {
    const calls: [string, string, string][] = [];
    const errors: Error[] = [];
    const server = await startServer<Identity>({
      authenticate: ({ token }) => ({ user: token ?? 'anon' }),
      authorize: (session: Session<Identity>, channel, action) => {
        calls.push([session.identity.user, channel, action]);
        if (channel === 'sync-no') return false;
        if (channel === 'async-no') return Promise.resolve(false);
        if (channel === 'auth-error') throw new AuthError('forbidden', 'members only');
        if (channel === 'bug') throw new Error('database down');
        if (channel === 'undefined') return undefined as unknown as boolean;
        return new Promise((resolve) => setTimeout(() => resolve(true), 5));
      },
    });
    server.on('error', (e) => errors.push(e));
    const client = connect(server.url, { token: 'ann' });
    const refused = ['sync-no', 'async-no', 'auth-error', 'bug', 'undefined'].map((ch) => ({ ch, r: record(client.subscribe(ch)) }));
    const ok = record(client.subscribe('open'));

    await vi.waitFor(() => expect(refused.every(({ r }) => r.unsubscribed.length === 1)).toBe(true));
    await vi.waitFor(() => expect(ok.subscribed).toHaveLength(1));
    for (const { ch, r } of refused) {
      expect(r.errors).toMatchObject([{ code: 'AUTH_FORBIDDEN' }]);
      expect(r.unsubscribed).toMatchObject([{ code: 'AUTH_FORBIDDEN' }]);
      expect(r.subscribed).toEqual([]);
      expect(client.getSubscription(ch)).toBeUndefined();
      expect(server.channels.subscribers(ch)).toBe(0);
    }
    expect(refused.find((x) => x.ch === 'auth-error')!.r.unsubscribed[0].reason).toBe('members only');
    // An exception that is not an AuthError is a bug: refused and reported, its text not shown to the client.
    expect(refused.find((x) => x.ch === 'bug')!.r.unsubscribed[0].reason).not.toContain('database');
    expect(errors.map((e) => e.message)).toEqual(['database down']);
    expect(calls).toContainEqual(['ann', 'open', 'subscribe']);
    expect(client.subscriptionCount).toBe(1);
    expect(server.channels.subscriptions).toBe(1);
  });

  it('refuses publishes with a nack; allowed ones are appended and acked', async () => {
    const server = await startServer<Identity>({
      authenticate: ({ token }) => ({ user: token ?? 'anon' }),
      authorize: async (session, channel, action) => action === 'subscribe' || session.identity.user === 'admin',
    });
    const reader = record(connect(server.url, { token: 'reader' }).subscribe('announcements'));
    await vi.waitFor(() => expect(reader.subscribed).toHaveLength(1));

    const guestSub = connect(server.url, { token: 'guest' }).subscribe('announcements');
    const adminSub = connect(server.url, { token: 'admin' }).subscribe('announcements');
    await expect(guestSub.publish('spam')).rejects.toMatchObject({ code: 'REJECTED_BY_SERVER', message: expect.stringMatching(/not allowed to publish to announcements/) });
    await adminSub.publish('welcome');
    await expect(guestSub.publish('spam again')).rejects.toMatchObject({ code: 'REJECTED_BY_SERVER' });
    await adminSub.publish('rules');

    await vi.waitFor(() => expect(reader.publications.map((p) => p.data)).toEqual(['welcome', 'rules']));
    expect(offsets(reader)).toEqual([1, 2]); // refused publishes took no offset
    // The guest's session goes on: a refused publish is not fatal.
    expect(guestSub.state).toBe('subscribed');
  });

  it('an unsubscribe during a slow authorize cancels it: nothing of the old subscription reaches a new one', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await startServer({ authorize: async () => (await gate, true) });
    const client = connect(server.url);
    const first = client.subscribe('slow');
    const r1 = record(first);
    await vi.waitFor(() => expect(server.channels.subscriptions).toBe(1));
    first.unsubscribe();
    const second = client.subscribe('slow');
    expect(second).not.toBe(first);
    const r2 = record(second);
    release();
    await vi.waitFor(() => expect(r2.subscribed).toHaveLength(1));
    expect(r1.subscribed).toEqual([]);
    expect(r1.unsubscribed).toEqual([{ reason: 'unsubscribe()' }]);
    await server.publish('slow', 'x');
    await vi.waitFor(() => expect(offsets(r2)).toEqual([1]));
    expect(r1.publications).toEqual([]);
    expect(server.channels.subscribers('slow')).toBe(1);
  });
});
