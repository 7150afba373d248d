// Serves the bundled app and, on the same http.Server, a Continuum echo server at /live
// (the `server` option: only the upgrade event is used, the app keeps its routes).
//
//   pnpm --filter @continuum/example-bundler-app start     builds, then http://localhost:8070
//
// With CONTINUUM_EXAMPLE_SMOKE=1 it checks the page, the bundle and an echo, then exits.
import { createServer as createHttpServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from '@continuum/server';

const file = (name) => new URL(name, import.meta.url);
if (!existsSync(file('./dist/app.js'))) {
  console.error('dist/app.js is missing: run `pnpm --filter @continuum/example-bundler-app build` first');
  process.exit(1);
}
const types = { '.html': 'text/html', '.js': 'text/javascript', '.map': 'application/json' };

const http = createHttpServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://app').pathname;
  const name = path === '/' ? 'index.html' : path.slice(1);
  if (!['index.html', 'dist/app.js', 'dist/app.js.map'].includes(name)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': `${types[name.slice(name.lastIndexOf('.'))]}; charset=utf-8` });
  res.end(readFileSync(file(`./${name}`)));
});
const continuum = await createServer({ server: http, path: '/live' });
continuum.on('session', (session) => {
  session.on('message', (data) => {
    const { text } = JSON.parse(String(data));
    session.send(JSON.stringify({ echo: text }));
  });
});
await new Promise((resolve) => http.listen(Number(process.env.PORT ?? 8070), '127.0.0.1', resolve));
const origin = `http://localhost:${http.address().port}`;
console.log(`bundler app: ${origin}`);

if (process.env.CONTINUUM_EXAMPLE_SMOKE === '1') {
  let code = 1;
  try {
    const page = await (await fetch(`${origin}/`)).text();
    const bundle = await fetch(`${origin}/dist/app.js`);
    if (!page.includes('/dist/app.js') || !bundle.ok) throw new Error('page or bundle not served');
    const { Client } = await import('@continuum/node');
    const client = new Client(`ws://127.0.0.1:${http.address().port}/live`, { codec: 'json' });
    const echo = new Promise((resolve) => client.on('message', resolve));
    await client.send({ text: 'ping' });
    const reply = await echo;
    await client.close();
    if (reply.echo !== 'ping') throw new Error(`unexpected echo ${JSON.stringify(reply)}`);
    console.log('smoke: page, bundle and echo ok');
    code = 0;
  } catch (err) {
    console.error(`smoke: FAILED: ${err?.stack ?? err}`);
  }
  await continuum.close({ timeoutMs: 200 });
  http.closeAllConnections();
  http.close(() => process.exit(code));
} else {
  process.once('SIGINT', () => void continuum.close().then(() => http.close(() => process.exit(0))));
}
