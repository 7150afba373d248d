// When the server asks for a fresh credential and when it gives up: the watch alone,
// on fake timers.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { decodeServerControl } from '@continuum/protocol';
import { CredentialWatch } from '../src/expiry.js';

let writes: unknown[];
let closes: { code: number; reason: string }[];
const socket = {
  write: (data: string) => writes.push(decodeServerControl(data)),
  close: (code: number, reason: string) => closes.push({ code, reason }),
};

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  writes = [];
  closes = [];
});
afterEach(() => vi.useRealTimers());

test('a long-lived credential is refreshed refreshLeadMs before expiry, then closed 4401 at expiry', () => {
  const watch = new CredentialWatch(socket, 30_000);
  watch.set(Date.now() + 600_000);
  vi.advanceTimersByTime(569_999);
  expect(writes).toEqual([]);
  vi.advanceTimersByTime(1);
  expect(writes).toEqual([{ t: 'refresh', inMs: 30_000 }]);
  vi.advanceTimersByTime(29_999);
  expect(closes).toEqual([]);
  vi.advanceTimersByTime(1);
  expect(closes).toEqual([{ code: 4401, reason: 'credentials expired' }]);
  expect(writes).toHaveLength(1);
});

test('a short-lived credential is refreshed halfway through its lifetime', () => {
  const watch = new CredentialWatch(socket, 30_000);
  watch.set(Date.now() + 40_000);
  vi.advanceTimersByTime(20_000);
  expect(writes).toEqual([{ t: 'refresh', inMs: 20_000 }]);
});

test('a later expiry moves the deadline and is asked again; the same expiry is not asked twice', () => {
  const watch = new CredentialWatch(socket, 1_000);
  const first = Date.now() + 10_000;
  watch.set(first);
  vi.advanceTimersByTime(9_000);
  expect(writes).toHaveLength(1);
  // A provider that hands back the same (cached) credential: no second ask, no loop.
  watch.set(first);
  vi.advanceTimersByTime(500);
  expect(writes).toHaveLength(1);
  // A fresh one: the deadline moves.
  watch.set(Date.now() + 10_000);
  vi.advanceTimersByTime(1_000);
  expect(closes).toEqual([]);
  vi.advanceTimersByTime(8_000);
  expect(writes).toHaveLength(2);
  vi.advanceTimersByTime(1_000);
  expect(closes).toHaveLength(1);
});

test('an expiry beyond what setTimeout can wait (24.8 days) is neither fired early nor missed', () => {
  const watch = new CredentialWatch(socket, 30_000);
  const in60Days = 60 * 24 * 3600_000;
  watch.set(Date.now() + in60Days);
  vi.advanceTimersByTime(in60Days - 30_001);
  expect(writes).toEqual([]);
  vi.advanceTimersByTime(1);
  expect(writes).toEqual([{ t: 'refresh', inMs: 30_000 }]);
});

test('clear() stops the watch', () => {
  const watch = new CredentialWatch(socket, 1_000);
  watch.set(Date.now() + 5_000);
  watch.clear();
  vi.advanceTimersByTime(10_000);
  expect([writes, closes]).toEqual([[], []]);
});
