// Type test (checked by tsc): an authenticate that returns withExpiry(...) types
// session.identity as the plain identity, not the wrapper.
import { expectTypeOf } from 'vitest';
import { createServer, withExpiry, type Session } from '../src/index.js';

const server = await createServer({
  port: 0,
  authenticate: async ({ token }) => (token ? withExpiry({ user: token }, Date.now() + 60_000) : null),
});
server.on('session', (session) => {
  expectTypeOf(session).toEqualTypeOf<Session<{ user: string }>>();
  expectTypeOf(session.identity).toEqualTypeOf<{ user: string }>();
});

const plain = await createServer({ port: 0, authenticate: () => ({ id: 1 }) });
plain.on('session', (session) => expectTypeOf(session.identity).toEqualTypeOf<{ id: number }>());
