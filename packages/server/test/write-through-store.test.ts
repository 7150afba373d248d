// A store with `sync` (write-through, e.g. Redis): the server writes a message to the
// socket only after the sync covering it resolved, and acknowledges a client message only
// after its `handled` was synced. So a server that dies loses nothing a client has seen
// or been told. Syncs are coalesced (one in flight per session) and retried on failure.
import { describe, expect, it, vi } from 'vitest';
import { createMemoryStore, type SessionRecord, type SessionStore } from '../src/index.js';
import { startServer, session } from './helpers/server.js';
import { nextSession } from './helpers/sessions.js';

/** The memory store plus a `sync` the test completes by hand. */
function gatedStore() {
  const base = createMemoryStore();
  const calls: { sent: number; handled: number; fromSeq: number; resolve(): void; reject(e: Error): void }[] = [];
  const store: SessionStore = {
    ...base,
    sync(record: SessionRecord, fromSeq: number) {
      return new Promise<void>((resolve, reject) => calls.push({ sent: record.sent, handled: record.handled, fromSeq, resolve, reject }));
    },
  };
  return { store, calls };
}

describe('write-through store', () => {
  it('shows server messages only once synced, and coalesces syncs', async () => {
    const { store, calls } = gatedStore();
    const server = await startServer({ store });
    const sessionP = nextSession(server);
    const client = await session(server.url);
    const s = await sessionP;
    await vi.waitFor(() => expect(calls.length).toBe(1)); // the first (claiming) sync after the welcome
    calls[0].resolve();

    s.send('a');
    s.send('b');
    await vi.waitFor(() => expect(calls.length).toBe(2));
    expect(calls[1]).toMatchObject({ sent: 2, fromSeq: 1 });
    s.send('c'); // while a sync is in flight: waits for the next one
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(client.delivered).toEqual([]);
    expect(calls.length).toBe(2);

    calls[1].resolve();
    await client.waitDelivered(2);
    expect(client.delivered.map((d) => d.data)).toEqual(['a', 'b']);
    await vi.waitFor(() => expect(calls.length).toBe(3));
    expect(calls[2]).toMatchObject({ sent: 3, fromSeq: 3 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(client.delivered).toHaveLength(2);
    calls[2].resolve();
    await client.waitDelivered(3);
  });

  it('acknowledges a client message only once its handling was synced; retries a failed sync', async () => {
    const { store, calls } = gatedStore();
    const server = await startServer({ store });
    const errors: Error[] = [];
    server.on('error', (e) => errors.push(e));
    const sessionP = nextSession(server);
    const client = await session(server.url);
    const s = await sessionP;
    const handled: string[] = [];
    s.on('message', (data) => void handled.push(String(data)));
    await vi.waitFor(() => expect(calls.length).toBe(1));
    calls[0].resolve();

    client.send('x', 'y');
    await vi.waitFor(() => expect(handled).toEqual(['x', 'y']));
    await vi.waitFor(() => expect(calls.length).toBe(2));
    expect(calls[1].handled).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 60)); // past the 25 ms ack delay
    expect(client.serverAck).toBe(0);

    calls[1].reject(new Error('store down'));
    await vi.waitFor(() => expect(errors.map((e) => e.message)).toEqual(['store down']));
    await vi.waitFor(() => expect(calls.length).toBe(3), { timeout: 2000 }); // retried
    expect(client.serverAck).toBe(0);
    calls[2].resolve();
    await client.waitServerAck(2);
  });
});
