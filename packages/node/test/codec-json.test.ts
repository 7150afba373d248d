import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, type ContinuumServer } from '@continuum/server';
import { Client, type ContinuumError } from '@continuum/node';

let server: ContinuumServer | undefined;
let client: Client<unknown, unknown> | undefined;
afterEach(async () => {
  await client?.close();
  await server?.close();
});

describe("codec: 'json'", () => {
  it('sends and receives objects; an undecodable message is an error event with the raw data, and the stream goes on', async () => {
    server = await createServer({ port: 0, host: '127.0.0.1' });
    server.on('session', (session) => {
      session.on('message', (data) => {
        const text = typeof data === 'string' ? data : Buffer.from(data).toString();
        session.send(text); // echo the JSON text
        session.send('not json {'); // then something the codec cannot decode
        session.send(JSON.stringify({ after: true }));
      });
    });
    client = new Client<unknown, unknown>(server.url, { codec: 'json' });
    const received: unknown[] = [];
    const errors: ContinuumError[] = [];
    client.on('message', (value) => received.push(value));
    client.on('error', (error) => errors.push(error));
    await client.send({ hello: 'world', n: [1, 2] });
    await vi.waitFor(() => expect(received).toHaveLength(2));
    expect(received).toEqual([{ hello: 'world', n: [1, 2] }, { after: true }]);
    expect(errors).toHaveLength(1);
    expect(errors[0].code).toBe('DECODE_FAILED');
    expect(errors[0].data).toBe('not json {');
    expect(client.state).toBe('open');
  });

  it('a value the codec cannot encode throws INVALID_ARGUMENT at the call site and is not queued', async () => {
    server = await createServer({ port: 0, host: '127.0.0.1' });
    client = new Client<unknown, unknown>(server.url, { codec: 'json' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => client!.send(circular)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => client!.send(undefined)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(client.stats().outboxMessages).toBe(0);
  });

  it('a custom codec is used both ways', async () => {
    server = await createServer({ port: 0, host: '127.0.0.1' });
    server.on('session', (session) => session.on('message', (data) => session.send(data)));
    const codec = {
      encode: (n: number) => new Uint8Array([n]),
      decode: (data: string | Uint8Array) => (typeof data === 'string' ? -1 : data[0] * 2),
    };
    const numbers = new Client<number, number>(server.url, { codec });
    client = numbers as unknown as Client<unknown, unknown>;
    const got: number[] = [];
    numbers.on('message', (n) => got.push(n));
    await numbers.send(21);
    await vi.waitFor(() => expect(got).toEqual([42]));
  });

  it('rejects a codec without encode/decode', () => {
    expect(() => new Client('ws://127.0.0.1:1', { codec: {} as never, autoConnect: false })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
