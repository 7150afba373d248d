// Roundtrips of every frame kind through the real encoders and decodeFrame, with the
// payloads that stress the encoder: multibyte and astral text, lengths whose UTF-8 size
// crosses a varint boundary (the copyWithin path of Writer.entry), empty payloads,
// channel-addressed entries and integers up to 2^53 - 1.
import { describe, it, expect } from 'vitest';
import {
  FrameKind,
  ProtocolViolation,
  decodeFrame,
  decodeUtf8,
  encodeAck,
  encodeData,
  encodePublication,
  encodeResend,
  encodeVolatile,
  helloFor,
  isValidChannel,
  varintSize,
  PROTOCOL_VERSION,
  type DataFrame,
  type FrameEntry,
} from '@continuum/protocol';
import { frameToJson, fromHex, toHex } from './frame-json.js';

const MAX = Number.MAX_SAFE_INTEGER;
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Frames compared through their JSON form, so views and copies of bytes compare equal. */
function roundtrip(bytes: Uint8Array): ReturnType<typeof frameToJson> {
  return frameToJson(decodeFrame(bytes));
}
const asJson = (f: DataFrame) => frameToJson(f);

/** Header bytes of the single entry of `encodeData(0, 1, [entry])` (kind, ack 0, seq 1 = 3 bytes). */
function headerSize(frame: Uint8Array, payloadBytes: number): number {
  return frame.length - 3 - payloadBytes;
}

describe('varint', () => {
  const boundaries = [
    [0, 1],
    [127, 1],
    [128, 2],
    [16_383, 2],
    [16_384, 3],
    [2_097_151, 3],
    [2_097_152, 4],
    [268_435_455, 4],
    [268_435_456, 5],
    [2 ** 35 - 1, 5],
    [2 ** 35, 6],
    [2 ** 42 - 1, 6],
    [2 ** 42, 7],
    [2 ** 49 - 1, 7],
    [2 ** 49, 8],
    [MAX, 8],
  ] as const;

  it.each(boundaries)('%d takes %d bytes and roundtrips', (n, size) => {
    expect(varintSize(n)).toBe(size);
    const frame = encodeAck(n);
    expect(frame.length).toBe(1 + size);
    expect(decodeFrame(frame)).toEqual({ kind: FrameKind.ACK, ack: n });
  });

  it('is little-endian base 128 with a continuation bit', () => {
    expect(toHex(encodeAck(300))).toBe('00 ac 02');
    expect(toHex(encodeAck(MAX))).toBe('00 ff ff ff ff ff ff ff 0f');
  });

  it('accepts non-minimal encodings', () => {
    expect(decodeFrame(fromHex('00 80 80 00'))).toEqual({ kind: FrameKind.ACK, ack: 0 });
    expect(decodeFrame(fromHex('00 81 80 80 80 80 80 80 00'))).toEqual({ kind: FrameKind.ACK, ack: 1 });
  });

  it('rejects a 9th byte and values above 2^53 - 1', () => {
    expect(() => decodeFrame(fromHex('00 80 80 80 80 80 80 80 80 00'))).toThrow(ProtocolViolation);
    expect(() => decodeFrame(fromHex('00 80 80 80 80 80 80 80 10'))).toThrow(ProtocolViolation);
    expect(() => decodeFrame(fromHex('00 ff ff ff ff ff ff ff 7f'))).toThrow(ProtocolViolation);
  });
});

describe('every frame kind roundtrips', () => {
  const entries: FrameEntry[] = [
    { data: 'hello' },
    { data: new Uint8Array([0, 1, 2, 255]) },
    { data: '' },
    { data: new Uint8Array(0) },
    { data: 'to a channel', channel: 'room:1' },
    { data: new Uint8Array([9]), channel: 'a' },
  ];

  it('ACK', () => {
    expect(decodeFrame(encodeAck(42))).toEqual({ kind: FrameKind.ACK, ack: 42 });
  });

  it('DATA', () => {
    expect(roundtrip(encodeData(5, 7, entries))).toEqual(
      asJson({ kind: FrameKind.DATA, ack: 5, firstSeq: 7, entries }),
    );
  });

  it('RESEND', () => {
    for (const entry of entries) {
      const frame = encodeResend(3, 1, 'q7Rk2mXw0bYtPz9cLd4VnA', 17, entry);
      expect(roundtrip(frame)).toEqual(
        asJson({ kind: FrameKind.RESEND, ack: 3, seq: 1, originId: 'q7Rk2mXw0bYtPz9cLd4VnA', originSeq: 17, entry }),
      );
    }
  });

  it('VOLATILE', () => {
    expect(roundtrip(encodeVolatile(entries))).toEqual(asJson({ kind: FrameKind.VOLATILE, entries }));
  });

  it('PUBLICATION', () => {
    const plain = entries.filter((e) => e.channel === undefined);
    expect(roundtrip(encodePublication('chat:lobby', 'k3Xq', 41, plain))).toEqual(
      asJson({ kind: FrameKind.PUBLICATION, channel: 'chat:lobby', epoch: 'k3Xq', firstOffset: 41, entries: plain }),
    );
  });

  it('the first byte is the kind', () => {
    expect(encodeAck(0)[0]).toBe(0x00);
    expect(encodeData(0, 1, [{ data: '' }])[0]).toBe(0x01);
    expect(encodeResend(0, 1, 'a', 1, { data: '' })[0]).toBe(0x02);
    expect(encodeVolatile([{ data: '' }])[0]).toBe(0x03);
    expect(encodePublication('c', 'e', 1, [{ data: '' }])[0]).toBe(0x04);
  });
});

describe('text payloads', () => {
  const cases: [string, string][] = [
    ['ASCII', 'hello, world'],
    ['2-byte', 'déjà vu'],
    ['3-byte', '€ 中文 ☃'],
    ['astral (surrogate pairs)', '😀🎉𝄞𠜎'],
    ['mixed', 'a é € 😀 z'],
    ['NUL and controls', '\u0000\u0001\n\t\u007f'],
    ['leading BOM', '\uFEFFstarts with a BOM'],
    ['only a BOM', '\uFEFF'],
    ['U+FFFF and U+10FFFF', '\uFFFF\u{10FFFF}'],
    ['combining marks', 'e\u0301\u0308'],
  ];

  it.each(cases)('%s roundtrips in DATA, VOLATILE, RESEND and PUBLICATION', (_, text) => {
    const entry = { data: text };
    expect(decodeFrame(encodeData(0, 1, [entry]))).toEqual({ kind: 1, ack: 0, firstSeq: 1, entries: [entry] });
    expect(decodeFrame(encodeVolatile([entry]))).toEqual({ kind: 3, entries: [entry] });
    expect((decodeFrame(encodeResend(0, 1, 'id', 1, entry)) as { entry: FrameEntry }).entry).toEqual(entry);
    expect(decodeFrame(encodePublication('c', 'e', 1, [entry]))).toMatchObject({ entries: [entry] });
  });

  it.each(cases)('%s roundtrips channel-addressed', (_, text) => {
    const entry = { data: text, channel: 'room:1' };
    expect(decodeFrame(encodeData(0, 1, [entry]))).toEqual({ kind: 1, ack: 0, firstSeq: 1, entries: [entry] });
  });

  it('encodes the UTF-8 bytes after the header', () => {
    const frame = encodeData(0, 1, [{ data: 'é€😀' }]);
    expect(toHex(frame)).toBe('01 00 01 24 c3 a9 e2 82 ac f0 9f 98 80');
  });

  // Writer.entry guesses the header size from the UTF-16 length and moves the payload
  // when the UTF-8 length needs a longer varint. Each case: [label, text, header bytes].
  const boundaryCases: [string, string, number][] = [
    ['31 ASCII: 124, 1 byte', 'a'.repeat(31), 1],
    ['32 ASCII: 128, 2 bytes', 'a'.repeat(32), 2],
    ['15 é: 30 bytes, 1 byte', 'é'.repeat(15), 1],
    ['16 é: guess 1, UTF-8 32 bytes needs 2', 'é'.repeat(16), 2],
    ['31 é: guess 1, UTF-8 62 bytes needs 2', 'é'.repeat(31), 2],
    ['32 é: guess 2, UTF-8 64 bytes, 2', 'é'.repeat(32), 2],
    ['8 😀: 16 UTF-16 units (guess 1), 32 bytes needs 2', '😀'.repeat(8), 2],
    ['10 €: 30 bytes, 1 byte', '€'.repeat(10), 1],
    ['11 €: guess 1, 33 bytes needs 2', '€'.repeat(11), 2],
    ['4095 ASCII: 2 bytes', 'a'.repeat(4095), 2],
    ['4096 ASCII: 3 bytes', 'a'.repeat(4096), 3],
    ['2048 é: guess 2, 4096 bytes needs 3', 'é'.repeat(2048), 3],
    ['1366 €: guess 2, 4098 bytes needs 3', '€'.repeat(1366), 3],
    ['1024 😀: guess 2, 4096 bytes needs 3', '😀'.repeat(1024), 3],
    ['174763 €: guess 3, 524289 bytes needs 4', '€'.repeat(174_763), 4],
  ];

  it.each(boundaryCases)('%s', (_, text, header) => {
    const bytes = utf8(text).length;
    const frame = encodeData(0, 1, [{ data: text }]);
    expect(headerSize(frame, bytes)).toBe(header);
    expect(decodeFrame(frame)).toEqual({ kind: 1, ack: 0, firstSeq: 1, entries: [{ data: text }] });
  });

  it('moving a payload never corrupts its neighbours in a batch', () => {
    const texts = ['x', 'é'.repeat(31), 'y', '😀'.repeat(8), '', '€'.repeat(1366), 'z'.repeat(40), 'é'.repeat(16)];
    const entries = texts.map((data) => ({ data }));
    expect(decodeFrame(encodeData(9, 100, entries))).toEqual({ kind: 1, ack: 9, firstSeq: 100, entries });
    expect(decodeFrame(encodeVolatile(entries))).toEqual({ kind: 3, entries });
  });

  it('grows the buffer well past the size hint', () => {
    // The hint counts UTF-16 units; 500 entries of 3-byte characters are three times larger.
    const entries = Array.from({ length: 500 }, (_, i) => ({ data: '€'.repeat(i % 50) + String(i) }));
    expect(decodeFrame(encodeData(0, 1, entries))).toEqual({ kind: 1, ack: 0, firstSeq: 1, entries });
  });

  it('a lone surrogate is sent as U+FFFD, as in any WebSocket text frame', () => {
    const decoded = decodeFrame(encodeData(0, 1, [{ data: 'a\uD800b\uDC00' }]));
    expect(decoded).toEqual({ kind: 1, ack: 0, firstSeq: 1, entries: [{ data: 'a\uFFFDb\uFFFD' }] });
  });

  it('a BOM at the start of an epoch or origin id is kept too', () => {
    expect(decodeFrame(encodePublication('c', '\uFEFFe', 1, [{ data: 'x' }]))).toMatchObject({ epoch: '\uFEFFe' });
    expect(decodeFrame(encodeResend(0, 1, '\uFEFFid', 1, { data: 'x' }))).toMatchObject({ originId: '\uFEFFid' });
  });
});

describe('decodeUtf8', () => {
  it('takes the ASCII fast path up to 64 bytes and TextDecoder beyond', () => {
    for (const n of [0, 1, 63, 64, 65, 200]) {
      const text = 'abcdefghij'.repeat(21).slice(0, n);
      expect(decodeUtf8(utf8(text))).toBe(text);
    }
  });
  it('decodes short non-ASCII and long mixed text', () => {
    expect(decodeUtf8(utf8('é'))).toBe('é');
    expect(decodeUtf8(utf8('a'.repeat(63) + 'é'))).toBe('a'.repeat(63) + 'é');
    expect(decodeUtf8(utf8('é'.repeat(100)))).toBe('é'.repeat(100));
  });
  it('rejects invalid UTF-8 with ProtocolViolation', () => {
    for (const hex of ['ff', 'c0 af', 'ed a0 80', 'c3', 'e2 82', 'f8 88 80 80 80', 'f4 90 80 80']) {
      expect(() => decodeUtf8(fromHex(hex))).toThrow(ProtocolViolation);
    }
  });
});

describe('binary payloads', () => {
  it('roundtrip every byte value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decoded = decodeFrame(encodeData(0, 1, [{ data: all }])) as { entries: FrameEntry[] };
    expect(Array.from(decoded.entries[0].data as Uint8Array)).toEqual(Array.from(all));
  });

  it('accept a view with a byte offset, and a Node Buffer', () => {
    const backing = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const view = backing.subarray(2, 5);
    expect(roundtrip(encodeData(0, 1, [{ data: view }, { data: Buffer.from('buf') }]))).toEqual({
      kind: 'DATA',
      ack: 0,
      firstSeq: 1,
      entries: [{ binary: '030405' }, { binary: '627566' }],
    });
  });

  it('are views into the received frame, not copies (documented)', () => {
    const frame = encodeData(0, 1, [{ data: Uint8Array.from([7, 8]) }]);
    const data = (decodeFrame(frame) as { entries: FrameEntry[] }).entries[0].data as Uint8Array;
    expect(data.buffer).toBe(frame.buffer);
  });

  it('roundtrip a 1 MiB payload with a 4-byte header', () => {
    const big = new Uint8Array(1 << 20).fill(0xab);
    const frame = encodeData(0, 1, [{ data: big }]);
    expect(frame.length).toBe(3 + 4 + big.length);
    const data = (decodeFrame(frame) as { entries: FrameEntry[] }).entries[0].data as Uint8Array;
    expect(data.length).toBe(big.length);
    expect(data.every((b) => b === 0xab)).toBe(true);
  });
});

describe('empty payloads', () => {
  it('an empty text message is one header byte 00, an empty binary one 01', () => {
    expect(toHex(encodeData(0, 1, [{ data: '' }]))).toBe('01 00 01 00');
    expect(toHex(encodeData(0, 1, [{ data: new Uint8Array(0) }]))).toBe('01 00 01 01');
    expect(toHex(encodeVolatile([{ data: '' }, { data: new Uint8Array(0) }]))).toBe('03 00 01');
  });
  it('many empty messages in one batch keep their sequence numbers', () => {
    const entries = Array.from({ length: 1000 }, () => ({ data: '' }));
    const frame = encodeData(0, 1, entries);
    expect(frame.length).toBe(3 + 1000);
    expect((decodeFrame(frame) as { entries: FrameEntry[] }).entries).toHaveLength(1000);
  });
});

describe('channel-addressed entries', () => {
  const longest = 'c'.repeat(200);
  const everyChar = 'ABCXYZabcxyz0189_:.@/=-';

  it.each([['room:1'], [longest], [everyChar], ['a']])('%s', (channel) => {
    const entries = [
      { data: 'text', channel },
      { data: Uint8Array.from([1, 2]), channel },
      { data: '', channel },
      { data: 'unaddressed' },
    ];
    expect(roundtrip(encodeData(0, 1, entries))).toEqual(
      asJson({ kind: FrameKind.DATA, ack: 0, firstSeq: 1, entries }),
    );
  });

  it('sets flag bit 1 and writes the channel as a str before the payload', () => {
    expect(toHex(encodeData(0, 3, [{ data: 'yo', channel: 'room:1' }]))).toBe('01 00 03 0a 06 72 6f 6f 6d 3a 31 79 6f');
    expect(toHex(encodeData(0, 4, [{ data: Uint8Array.from([1, 2]), channel: 'room:1' }]))).toBe(
      '01 00 04 0b 06 72 6f 6f 6d 3a 31 01 02',
    );
  });

  it('a channel of 200 bytes takes a 2-byte length', () => {
    const frame = encodeData(0, 1, [{ data: '', channel: longest }]);
    expect(toHex(frame.subarray(0, 6))).toBe('01 00 01 02 c8 01');
  });

  it('decoders reject invalid channel names (the encoder does not check them)', () => {
    for (const channel of ['', 'a b', 'é', 'c'.repeat(201), 'new\nline']) {
      expect(() => decodeFrame(encodeData(0, 1, [{ data: 'x', channel }]))).toThrow(ProtocolViolation);
    }
    expect(() => decodeFrame(encodePublication('a b', 'e', 1, [{ data: 'x' }]))).toThrow(ProtocolViolation);
  });

  it('isValidChannel', () => {
    expect(isValidChannel('room:1')).toBe(true);
    expect(isValidChannel(longest)).toBe(true);
    expect(isValidChannel(everyChar)).toBe(true);
    for (const bad of ['', 'c'.repeat(201), 'a b', 'é', 'a#b', 42, null, undefined, ['a']]) {
      expect(isValidChannel(bad)).toBe(false);
    }
  });
});

describe('large integers', () => {
  it('acks, sequence numbers and offsets up to 2^53 - 1', () => {
    expect(decodeFrame(encodeAck(MAX))).toEqual({ kind: 0, ack: MAX });
    expect(decodeFrame(encodeData(MAX, MAX, [{ data: 'z' }]))).toEqual({
      kind: 1,
      ack: MAX,
      firstSeq: MAX,
      entries: [{ data: 'z' }],
    });
    expect(decodeFrame(encodeResend(MAX, MAX, 'id', MAX, { data: 'z' }))).toEqual({
      kind: 2,
      ack: MAX,
      seq: MAX,
      originId: 'id',
      originSeq: MAX,
      entry: { data: 'z' },
    });
    expect(decodeFrame(encodePublication('c', 'e', MAX, [{ data: 'z' }]))).toMatchObject({ firstOffset: MAX });
  });

  it('a batch whose last sequence number passes 2^53 - 1 is rejected', () => {
    expect(() => decodeFrame(encodeData(0, MAX, [{ data: 'a' }, { data: 'b' }]))).toThrow(ProtocolViolation);
    expect(() => decodeFrame(encodeData(0, MAX - 1, [{ data: 'a' }, { data: 'b' }, { data: 'c' }]))).toThrow(
      ProtocolViolation,
    );
    expect(decodeFrame(encodeData(0, MAX - 1, [{ data: 'a' }, { data: 'b' }]))).toMatchObject({ firstSeq: MAX - 1 });
  });

  it('a publication whose last offset passes 2^53 - 1 is rejected', () => {
    expect(() => decodeFrame(encodePublication('c', 'e', MAX, [{ data: 'a' }, { data: 'b' }]))).toThrow(
      ProtocolViolation,
    );
    expect(decodeFrame(encodePublication('c', 'e', MAX - 1, [{ data: 'a' }, { data: 'b' }]))).toMatchObject({
      firstOffset: MAX - 1,
    });
  });

  it('sequence numbers, origin sequence numbers and offsets start at 1', () => {
    expect(() => decodeFrame(encodeData(0, 0, [{ data: 'a' }]))).toThrow(ProtocolViolation);
    expect(() => decodeFrame(encodeResend(0, 0, 'id', 1, { data: 'a' }))).toThrow(ProtocolViolation);
    expect(() => decodeFrame(encodeResend(0, 1, 'id', 0, { data: 'a' }))).toThrow(ProtocolViolation);
    expect(() => decodeFrame(encodePublication('c', 'e', 0, [{ data: 'a' }]))).toThrow(ProtocolViolation);
    expect(decodeFrame(encodeAck(0))).toEqual({ kind: 0, ack: 0 });
  });
});

describe('frame structure', () => {
  it('DATA, VOLATILE and PUBLICATION need at least one entry', () => {
    expect(() => decodeFrame(encodeData(0, 1, []))).toThrow(ProtocolViolation);
    expect(() => decodeFrame(encodeVolatile([]))).toThrow(ProtocolViolation);
    expect(() => decodeFrame(encodePublication('c', 'e', 1, []))).toThrow(ProtocolViolation);
  });

  it('ACK and RESEND allow nothing after their last field', () => {
    const ack = encodeAck(1);
    expect(() => decodeFrame(Uint8Array.from([...ack, 0]))).toThrow(ProtocolViolation);
    const resend = encodeResend(0, 1, 'id', 1, { data: 'x' });
    expect(() => decodeFrame(Uint8Array.from([...resend, 0]))).toThrow(ProtocolViolation);
  });

  it('ids and epochs are at most 128 bytes', () => {
    const id = 'i'.repeat(128);
    expect(decodeFrame(encodeResend(0, 1, id, 1, { data: '' }))).toMatchObject({ originId: id });
    expect(() => decodeFrame(encodeResend(0, 1, id + 'i', 1, { data: '' }))).toThrow(ProtocolViolation);
    expect(decodeFrame(encodePublication('c', id, 1, [{ data: '' }]))).toMatchObject({ epoch: id });
    expect(() => decodeFrame(encodePublication('c', id + 'i', 1, [{ data: '' }]))).toThrow(ProtocolViolation);
  });

  it('unknown kinds and empty frames are rejected', () => {
    expect(() => decodeFrame(new Uint8Array(0))).toThrow(ProtocolViolation);
    for (let kind = 5; kind < 256; kind++) {
      expect(() => decodeFrame(Uint8Array.from([kind, 0, 1, 0]))).toThrow(ProtocolViolation);
    }
  });

  it('ProtocolViolation is an Error with a name and a reason', () => {
    try {
      decodeFrame(fromHex('05'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      expect(err).toBeInstanceOf(ProtocolViolation);
      expect((err as Error).name).toBe('ProtocolViolation');
      expect((err as Error).message).toMatch(/kind/);
    }
  });
});

describe('helloFor', () => {
  it('builds the first message of a socket', () => {
    expect(helloFor()).toEqual({ t: 'hello', v: PROTOCOL_VERSION });
    expect(helloFor(undefined, 'jwt')).toEqual({ t: 'hello', v: 1, auth: 'jwt' });
    expect(helloFor({ id: 'a', token: 'b', recv: 3 }, 'jwt')).toEqual({
      t: 'hello',
      v: 1,
      auth: 'jwt',
      resume: { id: 'a', token: 'b', recv: 3 },
    });
    expect(Object.keys(helloFor())).toEqual(['t', 'v']);
  });
});

describe('the overhead figures of PROTOCOL.md §5', () => {
  it('one 64-byte text message, ack 1000, seq 1001: 7 bytes of overhead', () => {
    expect(encodeData(1000, 1001, [{ data: 'a'.repeat(64) }]).length).toBe(64 + 7);
  });
  it('ten 20-byte messages, ack 50, firstSeq 100: 13 bytes', () => {
    const entries = Array.from({ length: 10 }, () => ({ data: 'b'.repeat(20) }));
    expect(encodeData(50, 100, entries).length).toBe(200 + 13);
  });
  it('one 64-byte publication on chat:lobby, epoch k3Xq, offset 41: 20 bytes', () => {
    expect(encodePublication('chat:lobby', 'k3Xq', 41, [{ data: 'c'.repeat(64) }]).length).toBe(64 + 20);
  });
  it('RESEND with a 22-character id and small integers: 27 bytes besides the entry', () => {
    expect(encodeResend(2, 1, 'Hk1yWq8cN3pV0zLs5xRt2A', 17, { data: '' }).length).toBe(27 + 1);
  });
  it('header sizes: 1 byte to 31, 2 to 4095, 3 to 524287, 4 from 524288', () => {
    for (const [n, header] of [[31, 1], [32, 2], [4095, 2], [4096, 3], [524_287, 3], [524_288, 4]] as const) {
      expect(encodeData(0, 1, [{ data: new Uint8Array(n) }]).length - 3 - n).toBe(header);
      expect(encodeVolatile([{ data: 'x'.repeat(n) }]).length - 1 - n).toBe(header);
    }
  });
  it('a channel of 127 bytes has a 1-byte length, 128 a 2-byte one', () => {
    expect(encodeVolatile([{ data: '', channel: 'c'.repeat(127) }]).length).toBe(1 + 1 + 1 + 127);
    expect(encodeVolatile([{ data: '', channel: 'c'.repeat(128) }]).length).toBe(1 + 1 + 2 + 128);
  });
});
