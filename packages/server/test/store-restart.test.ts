import { expect, test } from 'vitest';
import { createMemoryStore } from '../src/index.js';
import { nextSession } from './helpers/sessions.js';
import { session, startServer } from './helpers/server.js';

test('a server given the store of a server that shut down resumes its sessions', async () => {
  const store = createMemoryStore();
  const before = await startServer({ store });
  const got = nextSession(before);
  const first = await session(before.url);
  const s = await got;
  const handled: string[] = [];
  s.on('message', (data) => void handled.push(data as string));
  first.send('a');
  await first.waitServerAck(1);
  s.send('m1');
  s.send('m2');
  await first.waitDelivered(2);
  first.ack(1);
  s.send('m3'); // never reaches the client
  await before.close({ timeoutMs: 100 });
  expect((await first.closed).code).toBe(1012);

  const after = await startServer({ store });
  const adopted = nextSession(after);
  // Say m2 was lost on the way too: the client delivered only m1.
  const second = await session(after.url, { resume: { ...first.resumeInfo(), recv: 1 } });
  expect(second.welcome).toMatchObject({ resumed: true, id: first.welcome!.id, recv: 1, ack: 1 });
  const s2 = await adopted; // the new server's app learns of the session once
  s2.on('message', (data) => void handled.push(data as string));
  await second.waitDelivered(2);
  expect(second.delivered).toEqual([
    { seq: 2, data: 'm2' },
    { seq: 3, data: 'm3' },
  ]);
  second.send('b');
  await second.waitServerAck(2);
  expect(handled).toEqual(['a', 'b']);
});

test('a stored session past its ttl becomes a tombstone on the next server', async () => {
  const store = createMemoryStore();
  const before = await startServer({ store, session: { ttlMs: 1 } });
  const got = nextSession(before);
  const first = await session(before.url);
  (await got).send('m1');
  await first.waitDelivered(1);
  await before.close({ timeoutMs: 100 });
  await new Promise((r) => setTimeout(r, 5)); // let the stored ttl run out
  const after = await startServer({ store });
  const second = await session(after.url, { resume: { ...first.resumeInfo(), recv: 0 } });
  expect(second.welcome).toMatchObject({ resumed: false, gap: { from: 1, to: 1 }, previous: { id: first.welcome!.id, ack: 0 } });
});
