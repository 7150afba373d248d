// Control messages (JSON text frames): valid and invalid input for both decoders,
// forward compatibility (unknown types, unknown fields), prototype pollution, and
// numbers that must never pass as sequence numbers or limits.
import { describe, it, expect, afterEach } from 'vitest';
import {
  ProtocolViolation,
  decodeClientControl,
  decodeServerControl,
  encodeControl,
  type ClientControl,
  type ServerControl,
} from '@continuum/protocol';

const protoNames = Object.getOwnPropertyNames(Object.prototype).sort();

/** Fails the test if anything was added to Object.prototype. */
function expectCleanPrototype(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNames);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
}
afterEach(expectCleanPrototype);

const welcome = {
  t: 'welcome',
  v: 1,
  id: 'q7Rk2mXw0bYtPz9cLd4VnA',
  token: 'mD3vT8yQ1wLx5nB0rKc7HsZpEa2uGj6F',
  resumed: false,
  recv: 0,
  ack: 0,
  pingMs: 25_000,
  maxMessageBytes: 1_048_576,
  maxFrameBytes: 1_114_112,
  sessionTtlMs: 120_000,
  replayMaxMessages: 10_000,
  replayMaxBytes: 8_388_608,
};

const validClient: ClientControl[] = [
  { t: 'hello', v: 1 },
  { t: 'hello', v: 1, auth: 'jwt' },
  { t: 'hello', v: 1, resume: { id: 'a', token: 'b', recv: 0 } },
  { t: 'hello', v: 2, auth: '', resume: { id: '', token: '', recv: 9007199254740991 } },
  { t: 'ping' },
  { t: 'pong' },
  { t: 'auth', token: 'fresh' },
  { t: 'sub', ch: 'chat:lobby' },
  { t: 'sub', ch: 'chat:lobby', since: { offset: 0, epoch: 'e' } },
  { t: 'unsub', ch: 'x' },
];

const validServer: ServerControl[] = [
  welcome as ServerControl,
  { ...welcome, resumed: true, recv: 17, ack: 15 } as ServerControl,
  { ...welcome, gap: { from: 43, to: 57 }, previous: { id: 'old', ack: 12 } } as ServerControl,
  { ...welcome, gap: { from: 43, to: null } } as ServerControl,
  { ...welcome, gap: { from: 5, to: 5 } } as ServerControl,
  { t: 'ping' },
  { t: 'pong' },
  { t: 'nack', seq: 18, code: 'REJECTED_BY_SERVER', message: '' },
  { t: 'refresh', inMs: 0 },
  { t: 'error', code: 'AUTH_EXPIRED', message: 'refused' },
  { t: 'subscribed', ch: 'c', offset: 0, epoch: 'e', recovered: false },
  { t: 'subscribed', ch: 'c', offset: 7, epoch: 'e2', recovered: false, gap: { from: 43, to: null } },
  { t: 'unsubscribed', ch: 'c' },
  { t: 'unsubscribed', ch: 'c', code: 'AUTH_FORBIDDEN', message: 'no' },
];

describe('valid control messages roundtrip through encodeControl', () => {
  it.each(validClient.map((m) => [JSON.stringify(m), m] as const))('client %s', (_, m) => {
    const decoded = decodeClientControl(encodeControl(m));
    expect(decoded).toEqual(m);
    expect(encodeControl(decoded!)).toBe(encodeControl(m));
  });
  it.each(validServer.map((m) => [JSON.stringify(m).slice(0, 80), m] as const))('server %s', (_, m) => {
    const decoded = decodeServerControl(encodeControl(m));
    expect(decoded).toEqual(m);
    expect(Object.keys(decoded!).sort()).toEqual(Object.keys(m).sort());
  });
});

describe('forward compatibility', () => {
  it('unknown types are ignored: undefined, not an error', () => {
    expect(decodeClientControl('{"t":"typing"}')).toBeUndefined();
    expect(decodeServerControl('{"t":"presence","who":[1,2]}')).toBeUndefined();
    expect(decodeClientControl('{"t":""}')).toBeUndefined();
  });

  it('a type of the other direction is unknown to a decoder', () => {
    expect(decodeClientControl(JSON.stringify(welcome))).toBeUndefined();
    expect(decodeClientControl('{"t":"nack","seq":1,"code":"x","message":"y"}')).toBeUndefined();
    expect(decodeServerControl('{"t":"hello","v":1}')).toBeUndefined();
    expect(decodeServerControl('{"t":"sub","ch":"c"}')).toBeUndefined();
  });

  it('unknown fields are dropped', () => {
    expect(decodeClientControl('{"t":"ping","extra":1}')).toEqual({ t: 'ping' });
    expect(decodeClientControl('{"t":"hello","v":1,"future":{"a":1},"resume":{"id":"a","token":"b","recv":1,"x":2}}')).toEqual({
      t: 'hello',
      v: 1,
      resume: { id: 'a', token: 'b', recv: 1 },
    });
    const decoded = decodeServerControl(JSON.stringify({ ...welcome, compression: 'zstd' }));
    expect(decoded).toEqual(welcome);
  });

  it('optional fields may be absent but not null', () => {
    expect(() => decodeClientControl('{"t":"hello","v":1,"auth":null}')).toThrow(ProtocolViolation);
    expect(() => decodeClientControl('{"t":"hello","v":1,"resume":null}')).toThrow(ProtocolViolation);
    expect(() => decodeClientControl('{"t":"sub","ch":"c","since":null}')).toThrow(ProtocolViolation);
    expect(() => decodeServerControl(JSON.stringify({ ...welcome, gap: null }))).toThrow(ProtocolViolation);
    expect(() => decodeServerControl(JSON.stringify({ ...welcome, previous: null }))).toThrow(ProtocolViolation);
    expect(() => decodeServerControl('{"t":"unsubscribed","ch":"c","code":null}')).toThrow(ProtocolViolation);
  });
});

describe('__proto__ and other hostile keys never pollute', () => {
  const client = [
    '{"t":"ping","__proto__":{"polluted":true}}',
    '{"__proto__":{"polluted":true},"t":"hello","v":1}',
    '{"t":"hello","v":1,"resume":{"id":"a","token":"b","recv":1,"__proto__":{"polluted":true}}}',
    '{"t":"sub","ch":"c","since":{"offset":1,"epoch":"e","__proto__":{"polluted":true}}}',
    '{"t":"auth","token":"x","constructor":{"prototype":{"polluted":true}}}',
    '{"t":"unsub","ch":"c","__proto__":{"isAdmin":true},"prototype":{"polluted":true}}',
  ];
  const server = [
    JSON.stringify({ ...welcome, gap: { from: 1, to: 2 } }).replace('"from"', '"__proto__":{"polluted":true},"from"'),
    JSON.stringify({ ...welcome, previous: { id: 'p', ack: 1 } }).replace('"ack":1}', '"ack":1,"__proto__":{"polluted":true}}'),
    '{"t":"nack","seq":1,"code":"c","message":"m","__proto__":{"polluted":true}}',
    '{"t":"subscribed","ch":"c","offset":1,"epoch":"e","recovered":true,"__proto__":{"polluted":true}}',
  ];

  function expectOnlyOwnKnownKeys(value: unknown): void {
    // Recursively: plain objects with Object.prototype, and no __proto__/constructor own keys.
    if (typeof value !== 'object' || value === null) return;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    for (const key of Object.keys(value)) {
      expect(['__proto__', 'constructor', 'prototype', 'polluted', 'isAdmin']).not.toContain(key);
      expectOnlyOwnKnownKeys((value as Record<string, unknown>)[key]);
    }
  }

  it.each(client)('client %s', (text) => {
    const decoded = decodeClientControl(text);
    expect(decoded).toBeDefined();
    expectOnlyOwnKnownKeys(decoded);
    expect((decoded as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expectCleanPrototype();
  });

  it.each(server)('server %s', (text) => {
    const decoded = decodeServerControl(text);
    expect(decoded).toBeDefined();
    expectOnlyOwnKnownKeys(decoded);
    expectCleanPrototype();
  });

  it('keeps exactly the expected keys', () => {
    expect(Object.keys(decodeClientControl(client[0])!)).toEqual(['t']);
    expect(Object.keys(decodeClientControl(client[2])!)).toEqual(['t', 'v', 'resume']);
    expect(Object.keys((decodeClientControl(client[2]) as { resume: object }).resume)).toEqual(['id', 'token', 'recv']);
    expect(Object.keys((decodeServerControl(server[0]) as { gap: object }).gap)).toEqual(['from', 'to']);
  });

  it('a __proto__ field does not stand in for a required field', () => {
    // JSON.parse makes "__proto__" an own property; a decoder reading o.v must not find
    // a value through it.
    expect(() => decodeClientControl('{"t":"hello","__proto__":{"v":1}}')).toThrow(ProtocolViolation);
    expect(() => decodeServerControl('{"t":"refresh","__proto__":{"inMs":5}}')).toThrow(ProtocolViolation);
  });
});

describe('numbers', () => {
  const bad: [string, string][] = [
    ['negative', '-1'],
    ['fraction', '1.5'],
    ['tiny fraction', '1e-7'],
    ['2^53', '9007199254740992'],
    ['huge', '1e300'],
    ['Infinity (1e400)', '1e400'],
    ['-Infinity', '-1e400'],
    ['string', '"1"'],
    ['null', 'null'],
    ['boolean', 'true'],
    ['array', '[1]'],
    ['object', '{}'],
  ];

  // Each case: [label, decoder, template with N for the number].
  const fields: [string, 'client' | 'server', string][] = [
    ['hello.v', 'client', '{"t":"hello","v":N}'],
    ['hello.resume.recv', 'client', '{"t":"hello","v":1,"resume":{"id":"a","token":"b","recv":N}}'],
    ['sub.since.offset', 'client', '{"t":"sub","ch":"c","since":{"offset":N,"epoch":"e"}}'],
    ['nack.seq', 'server', '{"t":"nack","seq":N,"code":"c","message":"m"}'],
    ['refresh.inMs', 'server', '{"t":"refresh","inMs":N}'],
    ['subscribed.offset', 'server', '{"t":"subscribed","ch":"c","offset":N,"epoch":"e","recovered":true}'],
    ['subscribed.gap.from', 'server', '{"t":"subscribed","ch":"c","offset":1,"epoch":"e","recovered":false,"gap":{"from":N,"to":null}}'],
    ...(['v', 'recv', 'ack', 'pingMs', 'maxMessageBytes', 'maxFrameBytes', 'sessionTtlMs', 'replayMaxMessages', 'replayMaxBytes'] as const).map(
      (key): [string, 'server', string] => [
        `welcome.${key}`,
        'server',
        JSON.stringify({ ...welcome, [key]: 0 }).replace(`"${key}":0`, `"${key}":N`),
      ],
    ),
    ['welcome.gap.from', 'server', JSON.stringify({ ...welcome, gap: { from: 0, to: null } }).replace('"from":0', '"from":N')],
    ['welcome.gap.to', 'server', JSON.stringify({ ...welcome, gap: { from: 0, to: 0 } }).replace('"to":0', '"to":N')],
    ['welcome.previous.ack', 'server', JSON.stringify({ ...welcome, previous: { id: 'p', ack: 0 } }).replace('"ack":0}', '"ack":N}')],
  ];

  const decode = (dir: 'client' | 'server', text: string) =>
    dir === 'client' ? decodeClientControl(text) : decodeServerControl(text);

  const cases = fields.flatMap(([field, dir, template]) =>
    bad
      .filter(([label]) => !(field === 'welcome.gap.to' && label === 'null')) // to: null is valid
      .map(([label, n]) => [field, label, dir, template.replace('N', n)] as const),
  );

  it.each(cases)('%s = %s is rejected with ProtocolViolation', (_, __, dir, text) => {
    expect(() => decode(dir, text)).toThrow(ProtocolViolation);
  });

  it.each(fields)('%s accepts 0 .. 2^53 - 1 (pingMs: from 1)', (field, dir, template) => {
    const low = field === 'welcome.pingMs' ? '1' : '0';
    expect(decode(dir, template.replace('N', low))).toBeDefined();
    if (!field.endsWith('gap.from')) expect(decode(dir, template.replace('N', '9007199254740991'))).toBeDefined();
  });

  it('NaN is not JSON', () => {
    expect(() => decodeClientControl('{"t":"hello","v":NaN}')).toThrow(ProtocolViolation);
  });

  it('pingMs must be positive', () => {
    expect(() => decodeServerControl(JSON.stringify({ ...welcome, pingMs: 0 }))).toThrow(ProtocolViolation);
  });

  it('gap.to is not before gap.from, and is never absent', () => {
    expect(() => decodeServerControl(JSON.stringify({ ...welcome, gap: { from: 10, to: 9 } }))).toThrow(ProtocolViolation);
    expect(() => decodeServerControl(JSON.stringify({ ...welcome, gap: { from: 10 } }))).toThrow(ProtocolViolation);
    expect(() =>
      decodeServerControl('{"t":"subscribed","ch":"c","offset":1,"epoch":"e","recovered":false,"gap":{"from":3,"to":2}}'),
    ).toThrow(ProtocolViolation);
  });
});

describe('malformed messages', () => {
  const both: [string, string][] = [
    ['empty', ''],
    ['not JSON', 'hello'],
    ['truncated JSON', '{"t":"ping"'],
    ['array', '[{"t":"ping"}]'],
    ['null', 'null'],
    ['string', '"ping"'],
    ['number', '1'],
    ['no type', '{}'],
    ['numeric type', '{"t":1}'],
    ['null type', '{"t":null}'],
    ['object type', '{"t":{"t":"ping"}}'],
  ];
  it.each(both)('%s', (_, text) => {
    expect(() => decodeClientControl(text)).toThrow(ProtocolViolation);
    expect(() => decodeServerControl(text)).toThrow(ProtocolViolation);
  });

  const client: [string, string][] = [
    ['hello without v', '{"t":"hello"}'],
    ['hello auth not a string', '{"t":"hello","v":1,"auth":1}'],
    ['hello resume not an object', '{"t":"hello","v":1,"resume":"a"}'],
    ['hello resume an array', '{"t":"hello","v":1,"resume":["a","b",1]}'],
    ['hello resume without token', '{"t":"hello","v":1,"resume":{"id":"a","recv":1}}'],
    ['hello resume id too long', `{"t":"hello","v":1,"resume":{"id":"${'a'.repeat(129)}","token":"b","recv":1}}`],
    ['hello resume token too long', `{"t":"hello","v":1,"resume":{"id":"a","token":"${'b'.repeat(129)}","recv":1}}`],
    ['auth without token', '{"t":"auth"}'],
    ['auth token a number', '{"t":"auth","token":5}'],
    ['sub without ch', '{"t":"sub"}'],
    ['sub empty ch', '{"t":"sub","ch":""}'],
    ['sub ch with a space', '{"t":"sub","ch":"a b"}'],
    ['sub ch of 201', `{"t":"sub","ch":"${'c'.repeat(201)}"}`],
    ['sub ch non-ASCII', '{"t":"sub","ch":"café"}'],
    ['sub since without epoch', '{"t":"sub","ch":"c","since":{"offset":1}}'],
    ['sub since an array', '{"t":"sub","ch":"c","since":[1,"e"]}'],
    ['sub since epoch too long', `{"t":"sub","ch":"c","since":{"offset":1,"epoch":"${'e'.repeat(129)}"}}`],
    ['unsub without ch', '{"t":"unsub"}'],
  ];
  it.each(client)('client: %s', (_, text) => {
    expect(() => decodeClientControl(text)).toThrow(ProtocolViolation);
  });

  const server: [string, string][] = [
    ['welcome without resumed', JSON.stringify({ ...welcome, resumed: undefined })],
    ['welcome resumed a string', JSON.stringify({ ...welcome, resumed: 'true' })],
    ['welcome resumed 1', JSON.stringify({ ...welcome, resumed: 1 })],
    ['welcome without id', JSON.stringify({ ...welcome, id: undefined })],
    ['welcome without maxFrameBytes', JSON.stringify({ ...welcome, maxFrameBytes: undefined })],
    ['welcome gap an array', JSON.stringify({ ...welcome, gap: [1, 2] })],
    ['welcome previous without id', JSON.stringify({ ...welcome, previous: { ack: 1 } })],
    ['nack code too long', `{"t":"nack","seq":1,"code":"${'C'.repeat(65)}","message":""}`],
    ['nack message too long', `{"t":"nack","seq":1,"code":"C","message":"${'m'.repeat(1025)}"}`],
    ['nack without message', '{"t":"nack","seq":1,"code":"C"}'],
    ['error without code', '{"t":"error","message":"m"}'],
    ['subscribed recovered missing', '{"t":"subscribed","ch":"c","offset":1,"epoch":"e"}'],
    ['subscribed bad ch', '{"t":"subscribed","ch":"a b","offset":1,"epoch":"e","recovered":true}'],
    ['subscribed epoch a number', '{"t":"subscribed","ch":"c","offset":1,"epoch":1,"recovered":true}'],
    ['unsubscribed message a number', '{"t":"unsubscribed","ch":"c","message":1}'],
    ['unsubscribed without ch', '{"t":"unsubscribed"}'],
  ];
  it.each(server)('server: %s', (_, text) => {
    expect(() => decodeServerControl(text)).toThrow(ProtocolViolation);
  });

  it('strings at their limits pass', () => {
    expect(decodeClientControl(`{"t":"hello","v":1,"resume":{"id":"${'a'.repeat(128)}","token":"${'b'.repeat(128)}","recv":1}}`)).toBeDefined();
    expect(decodeServerControl(`{"t":"nack","seq":1,"code":"${'C'.repeat(64)}","message":"${'m'.repeat(1024)}"}`)).toBeDefined();
    expect(decodeClientControl(`{"t":"sub","ch":"${'c'.repeat(200)}"}`)).toBeDefined();
  });

  it('a control message is at most 65,536 characters', () => {
    const frame = (n: number) => {
      const head = '{"t":"auth","token":"';
      return head + 'x'.repeat(n - head.length - 2) + '"}';
    };
    expect(frame(65_536)).toHaveLength(65_536);
    expect(decodeClientControl(frame(65_536))).toMatchObject({ t: 'auth' });
    expect(() => decodeClientControl(frame(65_537))).toThrow(ProtocolViolation);
    expect(() => decodeServerControl(' '.repeat(65_537))).toThrow(ProtocolViolation);
  });
});
