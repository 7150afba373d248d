// `unsubscribe()` and `client.close()` leave nothing behind: no delivery, no entry in
// the client's registry (centrifuge-js #389), no subscriber on the server.
import { describe, expect, it, vi } from 'vitest';
import { connect, offsets, record, startServer } from './helpers.js';

describe('unsubscribe', () => {
  it('stops delivery and frees the client registry and the server state', async () => {
    const server = await startServer();
    const client = connect(server.url);
    const sub = client.subscribe('room');
    const other = record(client.subscribe('other'));
    const r = record(sub);
    await vi.waitFor(() => expect(server.channels.subscriptions).toBe(2));
    await server.publish('room', 'one');
    await vi.waitFor(() => expect(offsets(r)).toEqual([1]));

    sub.unsubscribe();
    sub.unsubscribe(); // idempotent
    expect(sub.state).toBe('unsubscribed');
    expect(r.unsubscribed).toEqual([{ reason: 'unsubscribe()' }]);
    expect(client.getSubscription('room')).toBeUndefined();
    expect(client.subscriptionCount).toBe(1);
    await vi.waitFor(() => expect(server.channels.subscribers('room')).toBe(0));
    expect(server.channels.channels).toBe(1);

    await server.publish('room', 'two');
    await server.publish('other', 'still here');
    await vi.waitFor(() => expect(other.publications).toHaveLength(1));
    expect(offsets(r)).toEqual([1]);
  });

  it('a new subscribe right after an unsubscribe gets a fresh subscription that the old answers do not disturb', async () => {
    const server = await startServer();
    const client = connect(server.url);
    const old = client.subscribe('flip');
    await vi.waitFor(() => expect(old.state).toBe('subscribed'));
    for (let i = 0; i < 5; i++) {
      client.getSubscription('flip')!.unsubscribe();
      client.subscribe('flip');
    }
    const current = client.getSubscription('flip')!;
    const r = record(current);
    await vi.waitFor(() => expect(current.state).toBe('subscribed'));
    await server.publish('flip', 'x');
    await vi.waitFor(() => expect(offsets(r)).toEqual([1]));
    expect(r.unsubscribed).toEqual([]);
    expect(server.channels.subscriptions).toBe(1);
  });

  it('client.close() ends every subscription and the server forgets them', async () => {
    const server = await startServer();
    const client = connect(server.url);
    const recorders = ['a', 'b', 'c'].map((ch) => record(client.subscribe(ch)));
    await vi.waitFor(() => expect(server.channels.subscriptions).toBe(3));
    await client.close();
    expect(client.subscriptionCount).toBe(0);
    for (const r of recorders) expect(r.unsubscribed).toHaveLength(1);
    await vi.waitFor(() => expect(server.channels.subscriptions).toBe(0));
    expect(server.channels.channels).toBe(0);
  });

  it('the server forgets the subscriptions of a socket that dropped; the client renews them on resume', async () => {
    const server = await startServer();
    const client = connect(server.url);
    const sessions: boolean[] = [];
    client.on('session', (e) => sessions.push(e.resumed));
    const r = record(client.subscribe('x'));
    await vi.waitFor(() => expect(server.channels.subscriptions).toBe(1));
    const [session] = server.sessions;
    // The server drops the socket (4000: reconnect); the session waits for the client to resume.
    (session as unknown as { replaceLink(code: number, reason: string): void }).replaceLink(4000, 'test drop');
    expect(server.channels.subscriptions).toBe(0);
    await vi.waitFor(() => expect(sessions).toEqual([false, true]));
    await vi.waitFor(() => expect(r.subscribed).toHaveLength(2));
    expect(r.subscribed[1]).toMatchObject({ recovered: true, offset: 0 });
    expect(server.channels.subscriptions).toBe(1);
  });
});
