// Property tests of the codec with fast-check: what any peer, however broken or
// hostile, can send must either decode or raise ProtocolViolation, and never yield a
// partial message, another error type, a hang, or a polluted prototype.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  ProtocolViolation,
  decodeClientControl,
  decodeFrame,
  decodeServerControl,
  decodeUtf8,
  encodeAck,
  encodeData,
  encodePublication,
  encodeResend,
  encodeVolatile,
  type DataFrame,
  type FrameEntry,
} from '@continuum/protocol';
import { frameToJson, type FrameJson } from './frame-json.js';

const MAX = Number.MAX_SAFE_INTEGER;
const RUNS = { numRuns: 500 };

// ---- arbitraries ---------------------------------------------------------------------

/** Well-formed text: any code point, ASCII-heavy or long enough to cross varint sizes. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
  fc.string({ unit: fc.constantFrom('é', '€', '😀', 'a', '\uFEFF'), minLength: 10, maxLength: 1500 }),
  fc.constant(''),
);
const bytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 100, maxLength: 5000 }));
const channelName = fc.stringMatching(/^[A-Za-z0-9_:.@/=-]{1,200}$/);
const plainEntry: fc.Arbitrary<FrameEntry> = fc.oneof(text, bytes).map((data) => ({ data }));
const entry: fc.Arbitrary<FrameEntry> = fc
  .tuple(fc.oneof(text, bytes), fc.option(channelName, { nil: undefined, freq: 3 }))
  .map(([data, channel]) => (channel === undefined ? { data } : { data, channel }));
const entries = (arb: fc.Arbitrary<FrameEntry>) => fc.array(arb, { minLength: 1, maxLength: 12 });
const uint = fc.oneof(fc.nat(300), fc.nat(1 << 22), fc.maxSafeNat(), fc.constant(MAX));
const positive = (count: number) => fc.integer({ min: 1, max: MAX - count + 1 });
const id = fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 128 }), fc.string({ unit: 'binary', maxLength: 30 }));

/** A valid frame, with the DataFrame it should decode to and its encoding. */
const validFrame: fc.Arbitrary<{ frame: DataFrame; bytes: Uint8Array }> = fc.oneof(
  uint.map((ack) => ({ frame: { kind: 0, ack } as DataFrame, bytes: encodeAck(ack) })),
  fc
    .tuple(uint, entries(entry))
    .chain(([ack, es]) => positive(es.length).map((firstSeq) => [ack, firstSeq, es] as const))
    .map(([ack, firstSeq, es]) => ({
      frame: { kind: 1, ack, firstSeq, entries: es } as DataFrame,
      bytes: encodeData(ack, firstSeq, es),
    })),
  fc
    .tuple(uint, positive(1), id, positive(1), entry)
    .filter(([, , originId]) => new TextEncoder().encode(originId).length <= 128)
    .map(([ack, seq, originId, originSeq, e]) => ({
      frame: { kind: 2, ack, seq, originId, originSeq, entry: e } as DataFrame,
      bytes: encodeResend(ack, seq, originId, originSeq, e),
    })),
  entries(plainEntry).map((es) => ({ frame: { kind: 3, entries: es } as DataFrame, bytes: encodeVolatile(es) })),
  fc
    .tuple(channelName, id, entries(plainEntry))
    .filter(([, epoch]) => new TextEncoder().encode(epoch).length <= 128)
    .chain(([ch, epoch, es]) => positive(es.length).map((off) => [ch, epoch, off, es] as const))
    .map(([channel, epoch, firstOffset, es]) => ({
      frame: { kind: 4, channel, epoch, firstOffset, entries: es } as DataFrame,
      bytes: encodePublication(channel, epoch, firstOffset, es),
    })),
);

/** Runs `fn`; returns its result, or undefined if it threw ProtocolViolation. Any other throw fails. */
function decodeOrViolation<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ProtocolViolation) return undefined;
    throw new Error(`expected ProtocolViolation, got ${String(err)}`, { cause: err });
  }
}

function entriesOf(f: FrameJson): unknown[] {
  return 'entries' in f ? f.entries : 'entry' in f ? [f.entry] : [];
}

// ---- (a) roundtrip -------------------------------------------------------------------

describe('(a) arbitrary entries roundtrip exactly', () => {
  it('every frame kind', () => {
    fc.assert(
      fc.property(validFrame, ({ frame, bytes }) => {
        expect(frameToJson(decodeFrame(bytes))).toEqual(frameToJson(frame));
      }),
      RUNS,
    );
  });

  it('DATA batches of mixed text, binary, zero-length and channel-addressed entries', () => {
    fc.assert(
      fc.property(uint, positive(40), fc.array(entry, { minLength: 1, maxLength: 40 }), (ack, firstSeq, es) => {
        const decoded = decodeFrame(encodeData(ack, firstSeq, es));
        expect(frameToJson(decoded)).toEqual(frameToJson({ kind: 1, ack, firstSeq, entries: es }));
      }),
      RUNS,
    );
  });

  it('re-encoding a decoded frame gives the same bytes (encoders are canonical)', () => {
    fc.assert(
      fc.property(validFrame, ({ bytes }) => {
        const f = decodeFrame(bytes);
        const again =
          f.kind === 0
            ? encodeAck(f.ack)
            : f.kind === 1
              ? encodeData(f.ack, f.firstSeq, f.entries)
              : f.kind === 2
                ? encodeResend(f.ack, f.seq, f.originId, f.originSeq, f.entry)
                : f.kind === 3
                  ? encodeVolatile(f.entries)
                  : encodePublication(f.channel, f.epoch, f.firstOffset, f.entries);
        expect(Array.from(again)).toEqual(Array.from(bytes));
      }),
      RUNS,
    );
  });
});

// ---- (b) arbitrary bytes -------------------------------------------------------------

describe('(b) arbitrary bytes decode or raise ProtocolViolation', () => {
  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    // A plausible kind first, to get past the first check more often.
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.uint8Array({ maxLength: 300 })).map(([k, rest]) => Uint8Array.from([k, ...rest])),
    // Small values only: many short entries, continuation bits, flag combinations.
    fc
      .tuple(fc.integer({ min: 0, max: 4 }), fc.array(fc.integer({ min: 0, max: 0x8f }), { maxLength: 60 }))
      .map(([k, rest]) => Uint8Array.from([k, ...rest])),
  );

  it('never another error, and a decoded frame is well-formed', () => {
    fc.assert(
      fc.property(anyBytes, (input) => {
        const f = decodeOrViolation(() => decodeFrame(input));
        if (f === undefined) return;
        expect([0, 1, 2, 3, 4]).toContain(f.kind);
        if ('entries' in f) expect(f.entries.length).toBeGreaterThan(0);
        if (f.kind === 1) expect(f.firstSeq + f.entries.length - 1).toBeLessThanOrEqual(MAX);
        // Decoding what we decoded, re-encoded, gives the same frame (non-minimal
        // varints in the input make the bytes differ, never the meaning).
        const again = f.kind === 1 ? encodeData(f.ack, f.firstSeq, f.entries) : undefined;
        if (again) expect(frameToJson(decodeFrame(again))).toEqual(frameToJson(f));
      }),
      { numRuns: 3000 },
    );
  });

  it('every byte flipped in a valid frame: decode or ProtocolViolation', () => {
    fc.assert(
      fc.property(validFrame, fc.nat(), fc.integer({ min: 1, max: 255 }), ({ bytes }, at, xor) => {
        const mutated = Uint8Array.from(bytes);
        mutated[at % mutated.length] ^= xor;
        decodeOrViolation(() => decodeFrame(mutated));
      }),
      { numRuns: 2000 },
    );
  });

  it('decodeUtf8 agrees with a fatal TextDecoder that keeps the BOM', () => {
    const reference = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const utf8ish = fc.oneof(
      fc.uint8Array({ maxLength: 100 }),
      fc.string({ unit: 'binary', maxLength: 50 }).map((s) => new TextEncoder().encode(s)),
      fc
        .tuple(fc.string({ unit: 'binary', maxLength: 50 }), fc.nat(), fc.integer({ min: 0, max: 255 }))
        .map(([s, at, b]) => {
          const u = new TextEncoder().encode(s);
          if (u.length) u[at % u.length] = b;
          return u;
        }),
    );
    fc.assert(
      fc.property(utf8ish, (input) => {
        let expected: string | undefined;
        try {
          expected = reference.decode(input);
        } catch {
          expected = undefined;
        }
        expect(decodeOrViolation(() => decodeUtf8(input))).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- (c) truncation ------------------------------------------------------------------

describe('(c) a truncated frame never yields a partial message', () => {
  it('every cut: ProtocolViolation, or a prefix of the complete entries', () => {
    fc.assert(
      fc.property(validFrame, ({ frame, bytes }) => {
        const whole = frameToJson(frame);
        const wholeEntries = entriesOf(whole);
        for (let cut = 0; cut < bytes.length; cut++) {
          const f = decodeOrViolation(() => decodeFrame(bytes.subarray(0, cut)));
          if (f === undefined) continue;
          const got = frameToJson(f);
          // Same kind and same fixed fields, fewer entries, each equal to the original's.
          expect(got.kind).toBe(whole.kind);
          const { entries: _a, entry: _b, ...gotFields } = got as Record<string, unknown>;
          const { entries: _c, entry: _d, ...wholeFields } = whole as Record<string, unknown>;
          expect(gotFields).toEqual(wholeFields);
          const gotEntries = entriesOf(got);
          expect(gotEntries.length).toBeLessThan(wholeEntries.length);
          expect(gotEntries).toEqual(wholeEntries.slice(0, gotEntries.length));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('ACK and RESEND frames cut anywhere never decode', () => {
    fc.assert(
      fc.property(
        validFrame.filter(({ frame }) => frame.kind === 0 || frame.kind === 2),
        ({ bytes }) => {
          for (let cut = 0; cut < bytes.length; cut++) {
            expect(() => decodeFrame(bytes.subarray(0, cut))).toThrow(ProtocolViolation);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ---- (d) lying lengths ---------------------------------------------------------------

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

describe('(d) lying lengths', () => {
  it('an entry that claims more bytes than remain is rejected', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 50 }), fc.integer({ min: 1, max: 2 ** 40 }), fc.nat(3), (payload, extra, flags) => {
        const claimed = payload.length + extra;
        const frame = Uint8Array.from([1, 0, 1, ...varint(claimed * 4 + (flags & 1)), ...payload]);
        expect(() => decodeFrame(frame)).toThrow(ProtocolViolation);
      }),
      RUNS,
    );
  });

  it('an entry that claims fewer bytes splits the rest into entries or is rejected', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 50 }), fc.nat(), (payload, n) => {
        const claimed = n % payload.length;
        const frame = Uint8Array.from([3, ...varint(claimed * 4 + 1), ...payload]);
        const f = decodeOrViolation(() => decodeFrame(frame));
        if (f === undefined || f.kind !== 3) return;
        expect(Array.from(f.entries[0].data as Uint8Array)).toEqual(Array.from(payload.subarray(0, claimed)));
      }),
      RUNS,
    );
  });

  it('lengths near 2^53 are rejected without allocating', () => {
    for (const header of [MAX, MAX - 1, MAX - 2, MAX - 3, 2 ** 52]) {
      expect(() => decodeFrame(Uint8Array.from([1, 0, 1, ...varint(header), 0x61]))).toThrow(ProtocolViolation);
    }
  });

  it('str lengths (channel, epoch, origin id) that lie are rejected', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.string({ unit: 'grapheme-ascii', maxLength: 10 }), (len, s) => {
        const body = Array.from(new TextEncoder().encode(s));
        fc.pre(len !== body.length);
        const pub = Uint8Array.from([4, ...varint(len), ...body, 1, 0x65, 1, 0]);
        const resend = Uint8Array.from([2, 0, 1, ...varint(len), ...body, 1, 0]);
        const addressed = Uint8Array.from([1, 0, 1, 2, ...varint(len), ...body]);
        for (const frame of [pub, resend, addressed]) {
          const f = decodeOrViolation(() => decodeFrame(frame));
          // A shorter lie can still parse as something else; it can never read past the end.
          if (f !== undefined) expect(len).toBeLessThan(body.length);
        }
      }),
      RUNS,
    );
  });

  it('counts that lie: a batch implying a sequence number or offset past 2^53 - 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 50 }), fc.integer({ min: 0, max: 48 }), (count, back) => {
        fc.pre(back < count - 1);
        const first = MAX - back;
        const es = Array.from({ length: count }, () => ({ data: '' }));
        expect(() => decodeFrame(encodeData(0, first, es))).toThrow(ProtocolViolation);
        expect(() => decodeFrame(encodePublication('c', 'e', first, es))).toThrow(ProtocolViolation);
      }),
      RUNS,
    );
  });

  it('a RESEND with more than one entry is rejected', () => {
    fc.assert(
      fc.property(plainEntry, plainEntry, (a, b) => {
        const one = encodeResend(0, 1, 'id', 1, a);
        const extra = encodeVolatile([b]).subarray(1);
        expect(() => decodeFrame(Uint8Array.from([...one, ...extra]))).toThrow(ProtocolViolation);
      }),
      RUNS,
    );
  });
});

// ---- (e) control messages ------------------------------------------------------------

describe('(e) arbitrary text to the control decoders', () => {
  const protoNames = Object.getOwnPropertyNames(Object.prototype).sort();
  const types = ['hello', 'ping', 'pong', 'auth', 'sub', 'unsub', 'welcome', 'nack', 'refresh', 'error', 'subscribed', 'unsubscribed'];
  const keys = [
    't', 'v', 'auth', 'resume', 'id', 'token', 'recv', 'ack', 'ch', 'since', 'offset', 'epoch', 'resumed', 'gap',
    'from', 'to', 'previous', 'pingMs', 'maxMessageBytes', 'maxFrameBytes', 'sessionTtlMs', 'replayMaxMessages',
    'replayMaxBytes', 'seq', 'code', 'message', 'inMs', 'recovered', '__proto__', 'constructor', 'prototype',
  ];
  const numbers = fc.oneof(
    fc.integer(),
    fc.double(),
    fc.constantFrom(0, -0, 1, -1, 0.5, MAX, MAX + 1, 2 ** 64),
  );
  const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      numbers,
      fc.constantFrom(...types),
      fc.string({ maxLength: 20 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('v'), { maxLength: 3 }),
      tie('obj'),
    ),
    obj: fc
      .array(fc.tuple(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 6 })), tie('v')), { maxLength: 6 })
      .map((pairs) => ({ pairs })),
  })).v;

  // Serialize by hand so keys like "__proto__" and duplicates reach the decoder as text.
  function toText(v: unknown): string {
    if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : '1e400';
    if (v !== null && typeof v === 'object' && 'pairs' in (v as object)) {
      const pairs = (v as { pairs: [string, unknown][] }).pairs;
      return '{' + pairs.map(([k, x]) => `${JSON.stringify(k)}:${toText(x)}`).join(',') + '}';
    }
    if (Array.isArray(v)) return '[' + v.map(toText).join(',') + ']';
    return JSON.stringify(v);
  }

  const message = fc
    .tuple(fc.constantFrom(...types), value)
    .map(([t, v]) => {
      const pairs: [string, unknown][] =
        v !== null && typeof v === 'object' && 'pairs' in (v as object) ? (v as { pairs: [string, unknown][] }).pairs : [];
      return toText({ pairs: [['t', t], ...pairs] });
    });

  const anyText = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.json(),
    value.map(toText),
    message,
  );

  function check(decode: (text: string) => unknown, input: string): void {
    const result = decodeOrViolation(() => decode(input));
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNames);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (result === undefined) return;
    expect(typeof result).toBe('object');
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    const own = Object.keys(result as object);
    expect(own).toContain('t');
    for (const key of own) expect(['__proto__', 'constructor', 'prototype']).not.toContain(key);
    // Whatever passed is stable: decoding its encoding gives it back.
    expect(decode(JSON.stringify(result))).toEqual(result);
  }

  it('decodeClientControl: a result or ProtocolViolation, prototype clean', () => {
    fc.assert(fc.property(anyText, (input) => check(decodeClientControl, input)), { numRuns: 3000 });
  });

  it('decodeServerControl: a result or ProtocolViolation, prototype clean', () => {
    fc.assert(fc.property(anyText, (input) => check(decodeServerControl, input)), { numRuns: 3000 });
  });

  it('every number that passes is a safe non-negative integer', () => {
    const numeric = fc.tuple(numbers, fc.constantFrom('refresh', 'nack')).map(([n, t]) =>
      t === 'refresh'
        ? `{"t":"refresh","inMs":${Number.isFinite(n) ? JSON.stringify(n) : '1e400'}}`
        : `{"t":"nack","seq":${Number.isFinite(n) ? JSON.stringify(n) : '1e400'},"code":"c","message":"m"}`,
    );
    fc.assert(
      fc.property(numeric, (input) => {
        const r = decodeOrViolation(() => decodeServerControl(input)) as { inMs?: number; seq?: number } | undefined;
        if (r === undefined) return;
        const n = r.inMs ?? r.seq!;
        expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
