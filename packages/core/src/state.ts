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

/**
 * The next state, or undefined when the event does not apply in this state. The
 * table, as rules: `connect` only leaves `closed`; `stop` ends any other state;
 * `established` reaches `open` from `connecting` or `reconnecting`; `lost` keeps
 * trying, and turns `open` into `reconnecting`.
 */
export function transition(state: ConnectionState, event: StateEvent): ConnectionState | undefined {
  if (state === 'closed') return event === 'connect' ? 'connecting' : undefined;
  if (event === 'stop') return 'closed';
  if (event === 'established' && state !== 'open') return 'open';
  if (event === 'lost') return state === 'open' ? 'reconnecting' : state;
}
