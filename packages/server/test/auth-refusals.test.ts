import { expect, test } from 'vitest';
import { AuthError, type ServerOptions } from '../src/index.js';
import { connect, session, startServer } from './helpers/server.js';

async function refusedWith(authenticate: ServerOptions['authenticate'], auth = 'token') {
  const server = await startServer({ authenticate });
  const client = await connect(server.url); // the upgrade itself always completes
  client.hello(undefined, auth);
  return { server, ...(await client.closed) };
}

test('authenticate returning null closes with 4401', async () => {
  const { code, reason } = await refusedWith(() => null);
  expect(code).toBe(4401);
  expect(reason).toBe('credentials refused');
});

test('no credential at all closes with 4401 "credentials missing"', async () => {
  const server = await startServer({ authenticate: ({ token }) => (token ? { token } : null) });
  const client = await connect(server.url);
  client.hello();
  expect(await client.closed).toEqual({ code: 4401, reason: 'credentials missing' });
});

test("AuthError('expired') closes with 4401 and its message", async () => {
  const { code, reason, server } = await refusedWith(async () => {
    throw new AuthError('expired', 'token expired at 12:00');
  });
  expect(code).toBe(4401);
  expect(reason).toBe('token expired at 12:00');
  expect(server.metrics()).toMatch(/continuum_handshake_failures_total\{reason="unauthorized"\} 1/);
});

test("AuthError('forbidden') closes with 4403", async () => {
  const { code, reason } = await refusedWith(() => {
    throw new AuthError('forbidden', 'no access to this tenant');
  });
  expect(code).toBe(4403);
  expect(reason).toBe('no access to this tenant');
});

test('any other exception is a server fault: 1011, reported on the error event', async () => {
  const server = await startServer({
    authenticate: () => {
      throw new Error('database down');
    },
  });
  const errors: Error[] = [];
  server.on('error', (e) => errors.push(e));
  const client = await connect(server.url);
  client.hello(undefined, 'token');
  expect((await client.closed).code).toBe(1011);
  expect(errors.map((e) => e.message)).toEqual(['database down']);
});

test('authenticate sees the credential from hello.auth, else the Bearer header, else ?token=', async () => {
  const tokens: (string | undefined)[] = [];
  const server = await startServer({
    authenticate: ({ token, request }) => {
      tokens.push(token);
      expect(request?.headers.host).toBeDefined();
      return { token };
    },
  });
  await session(server.url, { auth: 'from-hello' }, { headers: { Authorization: 'Bearer from-header' } });
  await session(server.url, {}, { headers: { Authorization: 'Bearer from-header' } });
  await session(server.url + '?token=from-query');
  expect(tokens).toEqual(['from-hello', 'from-header', 'from-query']);
});

test('the identity is exposed on the session', async () => {
  const server = await startServer({ authenticate: ({ token }) => ({ user: token }) });
  const identities: unknown[] = [];
  server.on('session', (s) => identities.push(s.identity));
  await session(server.url, { auth: 'alice' });
  expect(identities).toEqual([{ user: 'alice' }]);
});

test('a credential refresh (auth message) that is refused closes the socket; an accepted one changes nothing', async () => {
  const contexts: unknown[] = [];
  const server = await startServer({
    authenticate: ({ token, request, refresh }) => {
      contexts.push({ token, hasRequest: request !== undefined, refresh });
      if (token === 'expired') throw new AuthError('expired');
      return { user: token?.split(':')[0] };
    },
  });
  const client = await session(server.url, { auth: 'alice:1' });
  client.sendControl({ t: 'auth', token: 'alice:2' });
  client.sendControl({ t: 'ping' });
  await client.until(() => client.controls('pong').length === 1, 'pong');
  expect(contexts).toEqual([
    { token: 'alice:1', hasRequest: true, refresh: false },
    { token: 'alice:2', hasRequest: false, refresh: true },
  ]);
  client.sendControl({ t: 'auth', token: 'expired' });
  expect((await client.closed).code).toBe(4401);
  const other = await session(server.url, { auth: 'alice:1' });
  other.sendControl({ t: 'auth', token: 'bob:1' });
  expect((await other.closed).code).toBe(4403);
});
