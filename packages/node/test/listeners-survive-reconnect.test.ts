// Every listener style stays attached across reconnects, and none fires twice
// (socket.io #4919: listeners re-registered on every connect doubled messages).
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket, type RwsEvent } from '@continuum/node';
import { fastBackoff, startServer, track } from './helpers.js';

describe('listeners survive a reconnect', () => {
  test('onX properties, addEventListener(fn) and addEventListener({handleEvent}) all see both connections', async () => {
    const server = await startServer();
    server.wss.on('connection', (s) => s.send(`hello ${server.sockets.length}`));
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));

    const seen = { prop: [] as string[], fn: [] as string[], obj: [] as string[] };
    const log = (list: string[]) => (e: RwsEvent) => list.push(e.type === 'message' ? `message:${String(e.data)}` : e.type);
    ws.onopen = log(seen.prop);
    ws.onmessage = log(seen.prop);
    ws.onclose = log(seen.prop);
    const fn = log(seen.fn);
    for (const type of ['open', 'message', 'close']) ws.addEventListener(type, fn);
    const handler = { handleEvent: log(seen.obj) };
    for (const type of ['open', 'message', 'close']) ws.addEventListener(type, handler);
    // Registering the same listener twice is a no-op, as with EventTarget.
    ws.addEventListener('message', fn);
    ws.addEventListener('message', handler);

    const first = await server.connection(0);
    await vi.waitFor(() => expect(seen.prop).toContain('message:hello 1'));
    first.close(1001, 'going away');
    await server.connection(1);
    await vi.waitFor(() => expect(seen.prop).toContain('message:hello 2'));

    const expected = ['open', 'message:hello 1', 'close', 'open', 'message:hello 2'];
    expect(seen.prop).toEqual(expected);
    expect(seen.fn).toEqual(expected);
    expect(seen.obj).toEqual(expected);
    expect(ws.readyState).toBe(ReconnectingWebSocket.OPEN);
  });

  test('`this` in a function listener is the drop-in; handleEvent is called on its object', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    let thisInProp: unknown;
    let thisInFn: unknown;
    let thisInObj: unknown;
    ws.onopen = function (this: unknown) {
      thisInProp = this;
    };
    ws.addEventListener('open', function (this: unknown) {
      thisInFn = this;
    });
    const handler = {
      handleEvent(this: unknown) {
        thisInObj = this;
      },
    };
    ws.addEventListener('open', handler);
    await vi.waitFor(() => expect(thisInObj).toBeDefined());
    expect(thisInProp).toBe(ws);
    expect(thisInFn).toBe(ws);
    expect(thisInObj).toBe(handler);
  });

  test('removeEventListener detaches for later connections', async () => {
    const server = await startServer();
    const ws = track(new ReconnectingWebSocket(server.url, [], { backoff: fastBackoff }));
    let opens = 0;
    const fn = () => opens++;
    ws.addEventListener('open', fn);
    const allOpens: number[] = [];
    ws.addEventListener('open', () => allOpens.push(1));
    await vi.waitFor(() => expect(opens).toBe(1));
    ws.removeEventListener('open', fn);
    server.sockets[0].close(1001);
    await vi.waitFor(() => expect(allOpens).toHaveLength(2));
    expect(opens).toBe(1);
  });
});
