/**
 * The connection state: one variable, changed in one place. Flags that must agree
 * with each other are how other clients wedged (partykit #252: `reconnect()` did
 * nothing after retries ran out).
 *
 * - `connecting`: before the first successful handshake (including retries of it)
 * - `open`: handshake done, messages flow
 * - `reconnecting`: was open, lost the link, trying again
 * - `closed`: not trying; `connect()`/`reconnect()` leaves it
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export type StateEvent = 'connect' | 'established' | 'lost' | 'stop';

const table: Record<ConnectionState, Partial<Record<StateEvent, ConnectionState>>> = {
  closed: { connect: 'connecting' },
  connecting: { established: 'open', lost: 'connecting', stop: 'closed' },
  open: { lost: 'reconnecting', stop: 'closed' },
  reconnecting: { established: 'open', lost: 'reconnecting', stop: 'closed' },
};

/** The next state, or undefined when the event does not apply in this state. */
export function transition(state: ConnectionState, event: StateEvent): ConnectionState | undefined {
  return table[state][event];
}
