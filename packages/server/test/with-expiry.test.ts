// withExpiry(): validated at the call, and a credential already expired is refused 4401.
import { expect, test } from 'vitest';
import { withExpiry } from '../src/index.js';
import { connect, session, startServer } from './helpers/server.js';

test.each([
  [{ user: 'a' }, Number.NaN, /expiresAt must be ms since the epoch or a Date/],
  [{ user: 'a' }, '2030-01-01', /expiresAt/],
  [null, Date.now(), /to refuse a credential, return null/],
])('withExpiry(%j, %j) throws a TypeError', (identity, expiresAt, message) => {
  expect(() => withExpiry(identity, expiresAt as never)).toThrow(TypeError);
  expect(() => withExpiry(identity, expiresAt as never)).toThrow(message);
});

test('takes a Date too', () => {
  expect(withExpiry('alice', new Date(5000)).expiresAt).toBe(5000);
});

test('a credential that has already expired is refused with 4401 "credentials expired"', async () => {
  const server = await startServer({ authenticate: () => withExpiry({ user: 'a' }, Date.now() - 1) });
  const client = await connect(server.url);
  client.hello(undefined, 'token');
  expect(await client.closed).toEqual({ code: 4401, reason: 'credentials expired' });
  expect(server.sessions.size).toBe(0);
});

test('the session holds the plain identity, not the wrapper', async () => {
  const server = await startServer({ authenticate: () => withExpiry({ user: 'a' }, Date.now() + 60_000) });
  const identities: unknown[] = [];
  server.on('session', (s) => identities.push(s.identity));
  const client = await session(server.url, { auth: 'token' });
  expect(identities).toEqual([{ user: 'a' }]);
  // A credential that expires in a minute is asked to be refreshed after half of it, not now.
  expect(client.controls('refresh')).toEqual([]);
});
