// Resume edge cases against the real server, through the fault proxy.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, type ContinuumServer, type Session } from '@continuum/server';
import { FaultProxy } from '@continuum/testing';
import { Client, type SessionEvent } from '@continuum/node';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(serverOptions: Parameters<typeof createServer>[0] = {}) {
  const server = await createServer({ port: 0, host: '127.0.0.1', ...serverOptions });
  cleanups.push(() => server.close());
  const sessions: Session[] = [];
  const received: string[] = [];
  server.on('session', (s) => {
    sessions.push(s);
    s.on('message', (d) => void received.push(String(d)));
  });
  const proxy = await FaultProxy.start({ target: server.url });
  cleanups.push(() => proxy.close());
  return { server, proxy, sessions, received };
}

function connect(url: string | (() => string), options: ConstructorParameters<typeof Client>[1] = {}) {
  const client = new Client(url, { backoff: { initialMs: 5, maxMs: 20 }, heartbeat: { intervalMs: 100, timeoutMs: 200 }, ...options });
  cleanups.push(() => client.close());
  const got: string[] = [];
  const sessionEvents: SessionEvent[] = [];
  client.on('message', (d) => void got.push(String(d)));
  client.on('session', (e) => void sessionEvents.push(e));
  return { client, got, sessionEvents };
}

describe('resume edge cases', () => {
  it('a client cut before it received anything resumes, and gets what was sent meanwhile', async () => {
    const { proxy, sessions } = await setup();
    const { client, got, sessionEvents } = connect(proxy.url);
    await vi.waitFor(() => expect(client.state).toBe('open'));
    proxy.refuse();
    proxy.reset();
    await vi.waitFor(() => expect(client.state).toBe('reconnecting'));
    sessions[0].send('while away');
    proxy.restore();
    await vi.waitFor(() => expect(got).toEqual(['while away']));
    expect(sessionEvents.map((e) => e.resumed)).toEqual([false, true]);
    expect(sessions).toHaveLength(1);
  });

  it('a quiet connection cut after an idle period resumes with nothing lost either way', async () => {
    const { proxy, sessions, received } = await setup({ pingMs: 200 });
    const { client, got, sessionEvents } = connect(proxy.url, { heartbeat: { timeoutMs: 300 } });
    await vi.waitFor(() => expect(client.state).toBe('open'));
    // Idle for several server ping intervals: the link must stay up on pings alone.
    const reconnectsBefore = client.stats().reconnects;
    await new Promise((r) => setTimeout(r, 1200));
    expect(client.stats().reconnects).toBe(reconnectsBefore);
    proxy.cut();
    const sent = client.send('after idle');
    sessions[0].send('to the client');
    await sent;
    await vi.waitFor(() => expect(got).toEqual(['to the client']));
    expect(received).toEqual(['after idle']);
    expect(sessionEvents.at(-1)?.resumed).toBe(true);
  });

  it('50 resumes in a row while the old socket is still half-open: one session, nothing lost, old sockets taken over', { timeout: 120_000 }, async () => {
    const { server, sessions, received } = await setup();
    const a = await FaultProxy.start({ target: server.url });
    const b = await FaultProxy.start({ target: server.url });
    cleanups.push(() => a.close(), () => b.close());
    let current = a;
    const { client, got, sessionEvents } = connect(() => current.url, { heartbeat: { intervalMs: 0 } });
    await vi.waitFor(() => expect(client.state).toBe('open'));
    for (let i = 0; i < 50; i++) {
      const old = current;
      old.blackhole(); // the server's socket stays open: nothing flows, nothing closes
      current = old === a ? b : a;
      current.restore();
      const opens = sessionEvents.length;
      client.reconnect();
      // Generous deadlines: CI machines are shared and two cores are busy.
      await vi.waitFor(() => expect(sessionEvents.length).toBe(opens + 1), { timeout: 10_000 });
      await client.send(`c${i}`);
      sessions[0].send(`s${i}`);
      await vi.waitFor(() => expect(got).toHaveLength(i + 1), { timeout: 10_000 });
    }
    expect(sessions).toHaveLength(1);
    expect(sessionEvents.slice(1).every((e) => e.resumed)).toBe(true);
    expect(received).toEqual(Array.from({ length: 50 }, (_, i) => `c${i}`));
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => `s${i}`));
    expect(server.sessions.size).toBe(1);
  });

  it('a session past its TTL: resumed false, the exact gap, and unacknowledged sends go again', async () => {
    const { proxy, sessions } = await setup({ session: { ttlMs: 200 } });
    const { client, got, sessionEvents } = connect(proxy.url);
    await vi.waitFor(() => expect(client.state).toBe('open'));
    sessions[0].send('one');
    await vi.waitFor(() => expect(got).toEqual(['one']));
    proxy.refuse();
    proxy.reset();
    sessions[0].send('two'); // seq 2, never delivered
    sessions[0].send('three'); // seq 3
    const pending = client.send('queued while away');
    const ended = new Promise((r) => sessions[0].on('end', r));
    await ended;
    proxy.restore();
    await pending;
    const lost = sessionEvents.at(-1)!;
    expect(lost.resumed).toBe(false);
    expect(lost.previousId).toBe(sessionEvents[0].id);
    expect(lost.gap).toEqual({ from: 2, to: 3 });
    expect(sessions).toHaveLength(2);
  });

  it('a server restarted without state: resumed false with gap.to null on the first reconnect', async () => {
    const first = await createServer({ port: 0, host: '127.0.0.1' });
    const port = first.port;
    let firstSession: Session | undefined;
    first.on('session', (s) => (firstSession = s));
    const { client, got, sessionEvents } = connect(first.url);
    await vi.waitFor(() => expect(firstSession).toBeDefined());
    firstSession!.send('before');
    await vi.waitFor(() => expect(got).toEqual(['before']));
    await first.close();
    const second = await createServer({ port, host: '127.0.0.1' });
    cleanups.push(() => second.close());
    await vi.waitFor(() => expect(sessionEvents).toHaveLength(2), { timeout: 10_000 });
    expect(sessionEvents[1].resumed).toBe(false);
    expect(sessionEvents[1].gap).toEqual({ from: 2, to: null });
    expect(client.state).toBe('open');
  });
});
