// Liveness is measured with timestamps: a watchdog timer that fires late (a throttled
// background tab, socket.io #4040, centrifugo #900) while traffic kept arriving does
// not kill a healthy link; one held up by a frozen page asks before it decides.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { ManualClock, flush, start, type FakeSocket } from './helpers/fake-server.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** The link was kept; real silence afterwards (1.5 s: pingMs 1000 + timeoutMs 500) is still found, on time and at once. */
async function expectKeptThenSilenceFound(clock: ManualClock, client: ReturnType<typeof start>['client'], socket: FakeSocket, events: ReturnType<typeof start>['events']) {
  expect(events.errors).toEqual([]);
  expect(client.state).toBe('open');
  expect(socket.terminated).toBe(false);
  clock.advance(1500);
  await flush();
  expect(events.errors.map((e) => e.code)).toEqual(['HEARTBEAT_TIMEOUT']);
}

describe('a late heartbeat timer', () => {
  it('fake timers: advancing in steps while the server pings keeps the link', async () => {
    const { server, client, events } = start({ heartbeat: { timeoutMs: 500 } });
    const socket = await server.open({ pingMs: 1000 });
    for (let i = 0; i < 30; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      socket.serverPing();
    }
    expect(events.errors).toEqual([]);
    expect(client.state).toBe('open');
    expect(socket.terminated).toBe(false);
    expect(socket.controls().filter((c) => c.t === 'pong')).toHaveLength(30);
  });

  it('a timer that fires 20 s late, after pings kept arriving, does not declare the link dead', async () => {
    const clock = new ManualClock();
    const { server, client, events } = start({ clock, heartbeat: { timeoutMs: 500 } });
    const socket = await server.open({ pingMs: 1000 });
    // Time passes, pings arrive, but no timer gets to run (throttled tab).
    for (let i = 0; i < 20; i++) {
      clock.skip(1000);
      socket.serverPing();
    }
    await flush();
    expect(clock.fireDue()).toBeGreaterThan(0); // the watchdog ran, 20 s late
    await flush();
    await expectKeptThenSilenceFound(clock, client, socket, events);
  });

  it('control: a late timer after real silence asks once (a ping), then declares it dead after the grace period', async () => {
    const clock = new ManualClock();
    const { server, events } = start({ clock, heartbeat: { timeoutMs: 500 } });
    const socket = await server.open({ pingMs: 1000 });
    clock.skip(20_000);
    clock.fireDue();
    await flush();
    // Held up for 20 s (a frozen page): not dead yet, asked instead.
    expect(events.errors).toEqual([]);
    expect(socket.controls().filter((c) => c.t === 'ping')).toHaveLength(1);
    clock.advance(2999);
    await flush();
    expect(events.errors).toEqual([]);
    clock.advance(1);
    await flush();
    expect(events.errors.map((e) => e.code)).toEqual(['HEARTBEAT_TIMEOUT']);
    expect(socket.terminated).toBe(true);
  });

  it('with a short deadline (client pings, 2 s): a late check asks, the answer keeps the link, pings go on in the grace period', async () => {
    const clock = new ManualClock();
    const { server, client, events } = start({ clock, heartbeat: { intervalMs: 1000, timeoutMs: 1000 } });
    const socket = await server.open(); // the server pings every 25 s: the client's 1 s + 1 s decides
    const answer = () => {
      const pings = socket.controls().filter((c) => c.t === 'ping').length;
      for (; answered < pings; answered++) socket.control({ t: 'pong' });
    };
    let answered = 0;
    clock.skip(20_000);
    clock.fireDue(); // held up 20 s: asks
    await flush();
    answer();
    await flush();
    for (let i = 0; i < 20; i++) {
      clock.advance(500);
      await flush();
      answer();
      await flush();
    }
    expect(answered).toBeGreaterThanOrEqual(10); // the ping schedule went on through the grace period
    expect(events.errors).toEqual([]);
    expect(client.state).toBe('open');
  });

  it('a late timer after silence keeps the link when what arrived meanwhile is handed over in the grace period', async () => {
    const clock = new ManualClock();
    const { server, client, events } = start({ clock, heartbeat: { timeoutMs: 500 } });
    const socket = await server.open({ pingMs: 1000 });
    clock.skip(20_000);
    clock.fireDue(); // the timer runs before the page got the messages queued while it was frozen
    await flush();
    socket.serverPing(); // ...which are handed over now, and the server goes on pinging
    await flush();
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      socket.serverPing();
      await flush();
    }
    await expectKeptThenSilenceFound(clock, client, socket, events);
  });
});
