// A Continuum server and a Node client in one process: the client sends a few
// messages, the server echoes each one back. Run it from the repository root
// after `pnpm build` with `node examples/node-echo/main.mjs`, then stop it with
// Ctrl-C. (`pnpm start` runs the browser demo, examples/demo.)
//
//   PORT=9000 node examples/node-echo/main.mjs   listen on another port (default 8080)
//
// With CONTINUUM_EXAMPLE_SMOKE=1 it exits by itself once every echo came back
// (exit 0) or after 10 s (exit 1): `pnpm test` runs it that way.
import { createServer } from '@continuum/server';
import { Client } from '@continuum/node';

const port = Number(process.env.PORT ?? 8080);
const smoke = process.env.CONTINUUM_EXAMPLE_SMOKE === '1';

const server = await createServer({ port, host: '127.0.0.1' });
server.on('session', (session) => {
  session.on('message', (data) => session.send(data));
});
console.log(`server: listening on ${server.url}`);

const client = new Client(server.url);
client.on('state', ({ state, previous }) => console.log(`client: ${previous} -> ${state}`));
client.on('session', (event) => console.log('client: session', event));
client.on('error', (err) => console.error(`client: error ${err.code}: ${err.message}`));

const messages = ['hello', 'from', 'continuum', Buffer.from([0xc0, 0xff, 0xee])];
let echoes = 0;
const allEchoed = new Promise((resolve) => {
  client.on('message', (data, meta) => {
    const shown = typeof data === 'string' ? JSON.stringify(data) : `<${data.byteLength} bytes>`;
    console.log(`client: echo #${meta.seq}: ${shown}`);
    if (++echoes === messages.length) resolve();
  });
});

for (const message of messages) {
  // Resolves when the server acknowledged the message (handed it to the handler).
  await client.send(message);
}
console.log(`client: all ${messages.length} messages acknowledged`);

async function shutdown(code) {
  try {
    await client.close();
    await server.close();
  } finally {
    process.exit(code);
  }
}

if (smoke) {
  const timeout = setTimeout(() => {
    console.error(`smoke: only ${echoes} of ${messages.length} echoes after 10 s`);
    void shutdown(1);
  }, 10_000);
  await allEchoed;
  clearTimeout(timeout);
  console.log('smoke: every echo came back');
  await shutdown(0);
} else {
  console.log('running; press Ctrl-C to stop');
  process.once('SIGINT', () => {
    console.log('\nstopping');
    void shutdown(0);
  });
}
