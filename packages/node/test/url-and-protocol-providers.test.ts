// URL and protocol providers are asked again before every attempt; sync, async or
// throwing, they never crash the client (a fresh token per attempt: centrifuge-js #202).
import { describe, expect, test, vi } from 'vitest';
import { ReconnectingWebSocket } from '@continuum/node';
import { fastBackoff, nextEvent, record, startServer, track } from './helpers.js';

describe('URL providers', () => {
  test('a sync provider is called before every attempt and its URL is used', async () => {
    const server = await startServer();
    const urls: string[] = [];
    server.wss.on('connection', (_s, req) => urls.push(req.url ?? ''));
    let n = 0;
    const ws = track(new ReconnectingWebSocket(() => `${server.url}/?token=${++n}`, [], { backoff: fastBackoff }));
    await nextEvent(ws, 'open');
    expect(ws.url).toBe(`${server.url}/?token=1`);
    server.sockets[0].close(1001);
    await nextEvent(ws, 'open');
    expect(urls).toEqual(['/?token=1', '/?token=2']);
    expect(ws.url).toBe(`${server.url}/?token=2`);
  });

  test('an async provider is awaited before every attempt', async () => {
    const server = await startServer();
    const urls: string[] = [];
    server.wss.on('connection', (_s, req) => urls.push(req.url ?? ''));
    let n = 0;
    const ws = track(
      new ReconnectingWebSocket(
        async () => {
          await new Promise((r) => setTimeout(r, 10));
          return `${server.url}/?token=async${++n}`;
        },
        [],
        { backoff: fastBackoff },
      ),
    );
    await nextEvent(ws, 'open');
    server.sockets[0].close(1001);
    await nextEvent(ws, 'open');
    expect(urls).toEqual(['/?token=async1', '/?token=async2']);
  });

  test('a throwing provider (sync throw and rejection) gives an error event, then a retry that connects', async () => {
    const server = await startServer();
    let calls = 0;
    const provider = () => {
      calls++;
      if (calls === 1) throw new Error('token service down');
      if (calls === 2) return Promise.reject(new Error('token service still down'));
      return server.url;
    };
    const ws = track(new ReconnectingWebSocket(provider, [], { backoff: fastBackoff }));
    const log = record(ws);
    await nextEvent(ws, 'open');
    expect(calls).toBe(3);
    const errors = log.of('error');
    expect(errors).toHaveLength(2);
    expect(errors[0].error?.code).toBe('INVALID_ARGUMENT');
    expect(errors[0].error?.message).toContain('token service down');
    expect(errors[1].error?.message).toContain('token service still down');
    expect(ws.readyState).toBe(ReconnectingWebSocket.OPEN);
  });
});

describe('protocol providers', () => {
  const handleProtocols = (protocols: Set<string>) => (protocols.has('v2') ? 'v2' : [...protocols][0] ?? false);

  test('a static list is offered and the selected protocol is exposed', async () => {
    const offered: string[] = [];
    const server = await startServer({
      handleProtocols: (p) => {
        offered.push([...p].join(','));
        return handleProtocols(p);
      },
    });
    const ws = track(new ReconnectingWebSocket(server.url, ['v1', 'v2'], { backoff: fastBackoff }));
    expect(ws.protocol).toBe('');
    await nextEvent(ws, 'open');
    expect(ws.protocol).toBe('v2');
    expect(offered).toEqual(['v1,v2']);
  });

  test('a single string, a sync provider and an async provider are each asked per attempt', async () => {
    const offered: string[] = [];
    const server = await startServer({
      handleProtocols: (p) => {
        offered.push([...p].join(','));
        return handleProtocols(p);
      },
    });
    const single = track(new ReconnectingWebSocket(server.url, 'chat', { backoff: fastBackoff }));
    await nextEvent(single, 'open');
    expect(single.protocol).toBe('chat');
    single.close();

    let n = 0;
    const sync = track(new ReconnectingWebSocket(server.url, () => `p${++n}`, { backoff: fastBackoff }));
    await nextEvent(sync, 'open');
    expect(sync.protocol).toBe('p1');
    server.sockets[server.sockets.length - 1].close(1001);
    await nextEvent(sync, 'open');
    expect(sync.protocol).toBe('p2');
    sync.close();

    const asyncWs = track(
      new ReconnectingWebSocket(server.url, async () => ['v1', 'v2'], { backoff: fastBackoff }),
    );
    await nextEvent(asyncWs, 'open');
    expect(asyncWs.protocol).toBe('v2');
    expect(offered).toEqual(['chat', 'p1', 'p2', 'v1,v2']);
  });

  test('a throwing protocol provider gives an error event and a retry', async () => {
    const server = await startServer({ handleProtocols });
    let calls = 0;
    const ws = track(
      new ReconnectingWebSocket(
        server.url,
        () => {
          if (++calls === 1) throw new Error('no protocol yet');
          return ['v2'];
        },
        { backoff: fastBackoff },
      ),
    );
    const errors: string[] = [];
    ws.onerror = (e) => errors.push(e.error?.code ?? '?');
    await nextEvent(ws, 'open');
    expect(errors).toEqual(['INVALID_ARGUMENT']);
    expect(ws.protocol).toBe('v2');
    await vi.waitFor(() => expect(server.sockets).toHaveLength(1));
  });
});
