// A handler that rejects: the real client's send() rejects REJECTED_BY_SERVER with the
// handler's message; the messages around it resolve.
import { expect, test } from 'vitest';
import { nodeClient } from './helpers/node-client.js';
import { startServer } from './helpers/server.js';

test('send() of the rejected message rejects REJECTED_BY_SERVER; its neighbours resolve', async () => {
  const server = await startServer();
  server.on('session', (s) =>
    s.on('message', async (data) => {
      await new Promise((r) => setTimeout(r, 5));
      if (data === 'bad') throw new Error('not allowed: bad');
    }),
  );
  const { client } = nodeClient(server.url);
  const results = await Promise.allSettled([client.send('good'), client.send('bad'), client.send('good again')]);
  expect(results[0].status).toBe('fulfilled');
  expect(results[2].status).toBe('fulfilled');
  const failure = results[1] as PromiseRejectedResult;
  expect(failure.status).toBe('rejected');
  expect(failure.reason).toMatchObject({ code: 'REJECTED_BY_SERVER', message: 'not allowed: bad' });
  // And the session goes on.
  await expect(client.send('after')).resolves.toBeUndefined();
});

test('a synchronous throw rejects the same way', async () => {
  const server = await startServer();
  server.on('session', (s) =>
    s.on('message', () => {
      throw new TypeError('sync boom');
    }),
  );
  const { client } = nodeClient(server.url);
  await expect(client.send('x')).rejects.toMatchObject({ code: 'REJECTED_BY_SERVER', message: 'sync boom' });
});
