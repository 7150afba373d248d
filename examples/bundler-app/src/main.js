// The app: a Continuum client from the package, bundled by rollup (rollup.config.mjs).
import { Client } from '@continuum/browser';

const log = document.getElementById('log');
const show = (text) => {
  const li = document.createElement('li');
  li.textContent = text;
  log.append(li);
};

// Same host as the page: serve.mjs attaches the Continuum server to its http.Server at /live.
const client = new Client(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live`, { codec: 'json' });
client.on('state', ({ state }) => (document.getElementById('state').textContent = state));
client.on('session', ({ resumed, gap }) => show(resumed ? 'session resumed' : gap ? `new session, gap ${gap.from}..${gap.to ?? '?'}` : 'session started'));
client.on('message', (data, { seq }) => show(`#${seq} ${data.echo}`));

document.getElementById('form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = document.getElementById('text');
  const text = input.value;
  input.value = '';
  try {
    await client.send({ text }); // resolves once the server handled it
  } catch (err) {
    show(`not delivered: ${err.code}`);
  }
});

// For the console.
window.client = client;
