// The state table: one pure transition() decides every state change.
import { describe, it, expect } from 'vitest';
import { transition, type StateEvent } from '../src/state.js';
import type { ConnectionState } from '@continuum/core';

const states: ConnectionState[] = ['closed', 'connecting', 'open', 'reconnecting'];
const events: StateEvent[] = ['connect', 'established', 'lost', 'stop'];

const legal: Record<string, ConnectionState> = {
  'closed connect': 'connecting',
  'connecting established': 'open',
  'connecting lost': 'connecting',
  'connecting stop': 'closed',
  'open lost': 'reconnecting',
  'open stop': 'closed',
  'reconnecting established': 'open',
  'reconnecting lost': 'reconnecting',
  'reconnecting stop': 'closed',
};

describe('transition()', () => {
  for (const state of states) {
    for (const event of events) {
      const key = `${state} ${event}`;
      const expected = legal[key];
      it(`${state} + ${event} → ${expected ?? 'undefined (illegal)'}`, () => {
        expect(transition(state, event)).toBe(expected);
      });
    }
  }

  it('has exactly the documented legal rows', () => {
    const found = states.flatMap((s) => events.filter((e) => transition(s, e) !== undefined).map((e) => `${s} ${e}`));
    expect(found.sort()).toEqual(Object.keys(legal).sort());
  });
});
