// The demo's self-check (CONTINUUM_EXAMPLE_SMOKE=1, run by `pnpm test`): the page and
// the SDK are served, and two Node clients running the page's own room logic (room.js)
// chat through the fault proxy across a dropped link and a lost session store, each
// seeing every message exactly once, in the same order.
import { Client } from '@continuum/node';
import './public/room.js';

const { createRoom } = globalThis.ContinuumDemo;

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function waitFor(what, predicate, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function post(pageUrl, path) {
  const res = await fetch(pageUrl + path, { method: 'POST' });
  assert(res.ok, `POST ${path}: HTTP ${res.status}`);
}

export async function runSmoke({ pageUrl, wsUrl, channels, proxy }) {
  const page = await (await fetch(pageUrl + '/')).text();
  assert(page.includes('<script src="/continuum.min.js">'), 'the page does not load the IIFE with a script tag');
  const sdk = await fetch(pageUrl + '/continuum.min.js');
  assert(sdk.ok && (await sdk.text()).includes('Continuum'), 'the IIFE is not served');
  const config = await (await fetch(pageUrl + '/config.js')).text();
  assert(config.includes(`"proxyPort":${proxy.port}`), 'config.js does not name the proxy port');

  const options = { codec: 'json', heartbeat: { intervalMs: 500, timeoutMs: 1000 }, backoff: { maxMs: 300 } };
  const clients = [new Client(wsUrl, options), new Client(wsUrl, options)];
  try {
    const [a, b] = clients.map((client) => createRoom(client, { channels }));
    const sent = [];
    const say = (room, text) => sent.push(room.post(text.split(':')[0], text));
    // Both rooms see the same messages, once each, in the same order, with no duplicate delivery.
    const consistent = (count) => () =>
      [a, b].every((room) => room.messages.length === count) &&
      a.messages.map((m) => m.id).join() === b.messages.map((m) => m.id).join();

    await waitFor('both clients to connect', () => clients.every((c) => c.state === 'open'));
    say(a, 'a: hello');
    say(b, 'b: hi');
    say(a, 'a: how are you');
    await waitFor('3 messages in both rooms', consistent(3));

    const resets = proxy.stats().resets;
    await post(pageUrl, '/demo/drop');
    assert(proxy.stats().resets > resets, 'the drop button reset no link');
    say(a, 'a: sent while the link was down');
    say(b, 'b: me too');
    await waitFor('5 messages in both rooms after the drop', consistent(5));
    assert(clients.every((c) => c.stats().resumes >= 1), 'a client did not resume after the drop');

    const lost = clients.map(
      (client) => new Promise((resolve) => client.on('session', (e) => !e.resumed && resolve(e))),
    );
    await post(pageUrl, '/demo/restart-store');
    const events = await Promise.all(lost);
    assert(events.every((e) => e.gap === undefined || e.gap.to === null), 'a lost session reported a bounded gap');
    say(b, 'b: after the restart');
    await waitFor('6 messages in both rooms after the restart', consistent(6));

    await Promise.all(sent.map((s) => s.sent));
    assert(a.stats.duplicates === 0 && b.stats.duplicates === 0, 'a sequence number or offset was delivered twice');
    // Messages of different senders interleave as the server received them; each
    // sender's own messages keep their order.
    const texts = a.messages.map((m) => m.text);
    const expected = {
      a: ['a: hello', 'a: how are you', 'a: sent while the link was down'],
      b: ['b: hi', 'b: me too', 'b: after the restart'],
    };
    for (const [who, mine] of Object.entries(expected)) {
      const seen = texts.filter((t) => t.startsWith(`${who}:`));
      assert(JSON.stringify(seen) === JSON.stringify(mine), `${who}'s messages: ${JSON.stringify(seen)}`);
    }
    const metrics = await fetch(pageUrl + '/metrics');
    assert(metrics.ok && (await metrics.text()).includes('continuum_sessions'), '/metrics is not served');
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}
