// No sticky sessions: a session started on node A resumes on node B (after A shut down,
// or when the load balancer simply picks B), with nothing lost either way, and a client
// that reconnects to B while A still runs is served by B (A's copy is fenced off).
import { describe, expect, it, vi } from 'vitest';
import { connect, startNode, startProxy } from './helpers/nodes.js';

describe('resume on another node', () => {
  it('after A shuts down, B resumes the session: every message once, both ways', async () => {
    const a = await startNode();
    const b = await startNode();
    const proxy = await startProxy(a.server.url);
    const handled: string[] = [];
    for (const node of [a, b]) {
      node.server.on('session', (s) => s.on('message', (data) => void handled.push(String(data))));
    }
    const aSession = new Promise<import('@continuum/server').Session>((resolve) => a.server.once('session', resolve));
    const client = connect(proxy.url);
    const received: { seq: number; data: string }[] = [];
    client.on('message', (data, { seq }) => received.push({ seq, data: String(data) }));
    const sessions: { resumed: boolean }[] = [];
    client.on('session', (e) => sessions.push(e));
    const sa = await aSession;
    for (let i = 1; i <= 20; i++) sa.send(`a${i}`);
    await Promise.all([1, 2, 3].map((i) => client.send(`c${i}`)));
    await vi.waitFor(() => expect(received).toHaveLength(20));

    const bSession = new Promise<import('@continuum/server').Session>((resolve) => b.server.once('session', resolve));
    await a.server.close();
    proxy.setTarget(b.server.url);
    const sends = [4, 5, 6].map((i) => client.send(`c${i}`)); // queued while offline
    const sb = await bSession;
    expect(sb.id).toBe(sa.id);
    for (let i = 1; i <= 20; i++) sb.send(`b${i}`);
    await Promise.all(sends);
    await vi.waitFor(() => expect(received).toHaveLength(40));
    expect(sessions.map((s) => s.resumed)).toEqual([false, true]);
    expect(received.map((m) => m.seq)).toEqual(received.map((_, i) => i + 1));
    expect(received.map((m) => m.data)).toEqual([...Array.from({ length: 20 }, (_, i) => `a${i + 1}`), ...Array.from({ length: 20 }, (_, i) => `b${i + 1}`)]);
    expect(handled).toEqual(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
  });

  it('a client that moves to B while A still runs is served by B; A stops writing the session', async () => {
    const a = await startNode();
    const b = await startNode();
    const errorsA: Error[] = [];
    a.server.on('error', (e) => errorsA.push(e));
    const proxy = await startProxy(a.server.url);
    const aSession = new Promise<import('@continuum/server').Session>((resolve) => a.server.once('session', resolve));
    const client = connect(proxy.url);
    const received: string[] = [];
    client.on('message', (data) => received.push(String(data)));
    const sa = await aSession;
    sa.send('from a');
    await vi.waitFor(() => expect(received).toEqual(['from a']));

    const bSession = new Promise<import('@continuum/server').Session>((resolve) => b.server.once('session', resolve));
    proxy.setTarget(b.server.url);
    proxy.cut();
    const sb = await bSession;
    sb.send('from b');
    await vi.waitFor(() => expect(received).toEqual(['from a', 'from b']));
    // A's copy (waiting for a resume) is fenced: its writes are refused and it shows nothing.
    sa.send('stale');
    await vi.waitFor(() => expect(errorsA.map((e) => e.message).join()).toMatch(/taken over by another server/));
    sb.send('from b again');
    await vi.waitFor(() => expect(received).toEqual(['from a', 'from b', 'from b again']));
  });
});
