// `state` events: one object {state, previous, reason} per change, in the order
// connecting → open → reconnecting → open → closed; `client.state` agrees.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { start } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('state events', () => {
  it('connecting → open → reconnecting → open → closed', async () => {
    const { server, client, events } = start({ autoConnect: false });
    const seen: string[] = [];
    client.on('state', (e) => {
      expect(client.state).toBe(e.state); // the getter already agrees inside the listener
      seen.push(e.state);
    });
    expect(client.state).toBe('closed');
    client.connect();
    expect(client.state).toBe('connecting');
    const first = await server.open();
    first.closeFromServer(1006, '', false);
    await vi.advanceTimersByTimeAsync(events.retries[0].delayMs);
    await server.open({ resumed: true });
    await client.close();
    expect(events.states.map(({ state, previous }) => [previous, state])).toEqual([
      ['closed', 'connecting'],
      ['connecting', 'open'],
      ['open', 'reconnecting'],
      ['reconnecting', 'open'],
      ['open', 'closed'],
    ]);
    for (const e of events.states) {
      expect(Object.keys(e).sort()).toEqual(['previous', 'reason', 'state']);
      expect(typeof e.reason).toBe('string');
      expect(e.reason.length).toBeGreaterThan(0);
    }
    expect(seen).toEqual(['connecting', 'open', 'reconnecting', 'open', 'closed']);
  });

  it('never emits a change to the same state (failed attempts while connecting)', async () => {
    const { server, events } = start({ backoff: { maxMs: 50 } });
    for (let i = 0; i < 5; i++) {
      (await server.next()).closeFromServer(1006, '', false);
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(events.retries.length).toBeGreaterThanOrEqual(5);
    expect(events.states).toEqual([]); // still 'connecting' all along
    for (const e of events.states) expect(e.state).not.toBe(e.previous);
  });

  it('a server stop while connecting: connecting → closed', async () => {
    const { server, client, events } = start();
    (await server.next()).closeFromServer(4403, 'no');
    expect(client.state).toBe('closed');
    expect(events.states).toEqual([{ state: 'closed', previous: 'connecting', reason: expect.any(String) }]);
  });
});
