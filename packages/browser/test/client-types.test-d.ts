// Type test (checked by tsc with the rest of the tests): what an app's editor sees of
// the Client — payload types with and without a codec, typed events, unsubscribe
// functions, subscriptions and publish carrying the app's types.
import { expectTypeOf } from 'vitest';
import { Client, type ContinuumError, type MessageMeta, type PublicationMeta, type SessionEvent } from '@continuum/browser';

declare const url: string;

// Without a codec: strings and bytes (and a Blob in the browser) out, strings and bytes in.
const plain = new Client(url);
expectTypeOf(plain.send('text')).toEqualTypeOf<Promise<void>>();
plain.send(new Uint8Array(1));
plain.send(new ArrayBuffer(1));
plain.send(new Blob(['x']));
// @ts-expect-error an object needs a codec
plain.send({ type: 'chat' });
plain.on('message', (data, meta) => {
  expectTypeOf(data).toEqualTypeOf<string | Uint8Array>();
  expectTypeOf(meta).toEqualTypeOf<MessageMeta>();
});

// With a codec, the type arguments say what goes out and what comes in.
type Chat = { type: 'chat'; text: string };
type Update = { type: 'update'; id: number };
const typed = new Client<Chat, Update>(url, { codec: 'json' });
typed.send({ type: 'chat', text: 'hi' });
// @ts-expect-error the wrong shape for what this client sends
typed.send({ type: 'update', id: 1 });
typed.on('message', (data) => expectTypeOf(data).toEqualTypeOf<Update>());
const room = typed.subscribe('room:1');
room.on('publication', (data, meta) => {
  expectTypeOf(data).toEqualTypeOf<Update>();
  expectTypeOf(meta).toEqualTypeOf<PublicationMeta>();
});
expectTypeOf(room.publish).parameter(0).toEqualTypeOf<Chat>();
expectTypeOf(typed.publish).parameters.toEqualTypeOf<[string, Chat]>();
expectTypeOf(typed.getSubscription('room:1')).toEqualTypeOf<typeof room | undefined>();

// Events: one object each, listeners typed by name; on() returns its own unsubscribe.
const off = plain.on('session', (event) => {
  expectTypeOf(event).toEqualTypeOf<SessionEvent>();
  expectTypeOf(event.gap).toEqualTypeOf<{ from: number; to: number | null } | undefined>();
});
expectTypeOf(off).toEqualTypeOf<() => void>();
plain.on('error', (error) => expectTypeOf(error).toEqualTypeOf<ContinuumError>());
plain.on('close', ({ code, willReconnect }) => {
  expectTypeOf(code).toEqualTypeOf<number>();
  expectTypeOf(willReconnect).toEqualTypeOf<boolean>();
});
// @ts-expect-error no such event
plain.on('reconnect', () => {});
// @ts-expect-error unknown options are a type error too (and INVALID_ARGUMENT at run time)
new Client(url, { reconnectionDelayMax: 1000 });
