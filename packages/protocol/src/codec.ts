// The pure codec: bytes and JSON in, typed messages out, and back. No I/O, no
// timers, no platform objects beyond TextEncoder/TextDecoder (present in every
// runtime we target), so client, server and a second implementation share it.
import {
  FrameKind,
  Limits,
  PROTOCOL_VERSION,
  isValidChannel,
  type ClientControl,
  type ControlMessage,
  type DataFrame,
  type FrameEntry,
  type Gap,
  type ServerControl,
} from './messages.js';

/** A frame or control message that does not follow PROTOCOL.md. */
export class ProtocolViolation extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'ProtocolViolation';
  }
}

const utf8Encoder = new TextEncoder();
// ignoreBOM: a payload that starts with U+FEFF is data, not a byte-order mark; the
// default (ignoreBOM: false) would silently strip it and break the roundtrip.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function fail(why: string): never {
  throw new ProtocolViolation(why);
}

// Every encode and decode runs synchronously to the end and calls nothing that could
// start another, so the frame being built or read lives here: no writer or reader
// object per frame.
const EMPTY = new Uint8Array(0);
let buf: Uint8Array = EMPTY;
let pos: number;

/** Lets go of the buffer just encoded or decoded: the codec holds no frame between calls. */
function release<T>(result: T): T {
  buf = EMPTY;
  return result;
}

// ---- writer -------------------------------------------------------------------------

/** Bytes a varint of `n` takes. */
export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function ensure(extra: number): void {
  if (pos + extra > buf.length) {
    const next = new Uint8Array(Math.max(buf.length * 2, pos + extra));
    next.set(buf.subarray(0, pos));
    buf = next;
  }
}

function putVarint(n: number): void {
  ensure(8);
  while (n >= 0x80) {
    buf[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
}

function putBytes(bytes: Uint8Array): void {
  ensure(bytes.length);
  buf.set(bytes, pos);
  pos += bytes.length;
}

function putString(text: string): void {
  const bytes = utf8Encoder.encode(text);
  putVarint(bytes.length);
  putBytes(bytes);
}

function putEntry({ data, channel }: FrameEntry): void {
  if (channel === undefined && typeof data === 'string') {
    // Encode straight into the frame, guessing the header from the UTF-16 length
    // (exact for ASCII); on a longer result, move the payload to make room.
    ensure(8 + data.length * 3);
    const guess = varintSize(data.length * 4);
    const start = pos + guess;
    const written = utf8Encoder.encodeInto(data, buf.subarray(start)).written;
    const size = varintSize(written * 4);
    if (size !== guess) buf.copyWithin(pos + size, start, start + written);
    putVarint(written * 4);
    pos += written;
    return;
  }
  const binary = typeof data !== 'string';
  const bytes = binary ? data : utf8Encoder.encode(data);
  putVarint(bytes.length * 4 + (channel === undefined ? 0 : 2) + +binary);
  if (channel !== undefined) putString(channel);
  putBytes(bytes);
}

/**
 * One frame: the kind byte, the header fields (integers as varints, strings with their
 * length) and the entries. The capacity fits the frame without growing: exact for
 * binary and ASCII text, plus the headroom `putEntry()` asks for while it encodes one
 * string in place (3 bytes per UTF-16 unit), so a frame of ASCII text is never copied
 * to a bigger buffer.
 */
function encode(kind: number, head: (number | string)[], entries: readonly FrameEntry[]): Uint8Array {
  let size = 16;
  let headroom = 0;
  for (const f of head) size += typeof f === 'string' ? 8 + f.length * 3 : 8;
  for (const e of entries) {
    const data = e.data;
    size += 4 + data.length + (e.channel === undefined ? 0 : 2 + e.channel.length);
    if (typeof data === 'string' && data.length * 2 > headroom) headroom = data.length * 2;
  }
  buf = new Uint8Array(size + headroom);
  buf[0] = kind;
  pos = 1;
  for (const f of head) {
    if (typeof f === 'string') putString(f);
    else putVarint(f);
  }
  for (const e of entries) putEntry(e);
  return release(buf.subarray(0, pos));
}


/** ACK: the sender has received every peer message up to and including `ack`. */
export function encodeAck(ack: number): Uint8Array {
  return encode(FrameKind.ACK, [ack], []);
}

/** DATA: messages numbered firstSeq, firstSeq + 1, …, with a piggybacked ack. */
export function encodeData(ack: number, firstSeq: number, entries: readonly FrameEntry[]): Uint8Array {
  return encode(FrameKind.DATA, [ack, firstSeq], entries);
}

/** RESEND: one message of a lost session, sent again in a new one under an idempotency key. */
export function encodeResend(
  ack: number,
  seq: number,
  originId: string,
  originSeq: number,
  entry: FrameEntry,
): Uint8Array {
  return encode(FrameKind.RESEND, [ack, seq, originId, originSeq], [entry]);
}

/** VOLATILE: messages outside the sequence: never queued, replayed or acknowledged. */
export function encodeVolatile(entries: readonly FrameEntry[]): Uint8Array {
  return encode(FrameKind.VOLATILE, [], entries);
}

/** PUBLICATION: channel messages at offsets firstOffset, firstOffset + 1, …; encoded once per fan-out. */
export function encodePublication(
  channel: string,
  epoch: string,
  firstOffset: number,
  entries: readonly FrameEntry[],
): Uint8Array {
  return encode(FrameKind.PUBLICATION, [channel, epoch, firstOffset], entries);
}

// ---- reader -------------------------------------------------------------------------

function byte(): number {
  if (pos >= buf.length) fail('frame truncated');
  return buf[pos++];
}

function varint(): number {
  let value = 0;
  for (let i = 0, scale = 1; i < 8; i++, scale *= 128) {
    const b = byte();
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (value <= Limits.maxInteger) return value;
      break;
    }
  }
  return fail('varint longer than 8 bytes or above 2^53 - 1');
}

/** A sequence number or offset: they start at 1. */
function first(): number {
  const n = varint();
  return n < 1 ? fail('sequence numbers and offsets start at 1') : n;
}

function bytes(length: number): Uint8Array {
  const start = pos;
  pos += length;
  if (pos > buf.length) fail('frame truncated');
  return buf.subarray(start, pos);
}

function string(maxBytes: number): string {
  const length = varint();
  return length > maxBytes ? fail('string too long') : decodeUtf8(bytes(length));
}

function channelName(): string {
  const channel = string(Limits.maxChannelLength);
  return isValidChannel(channel) ? channel : fail('invalid channel name');
}

function entry(): FrameEntry {
  const header = varint();
  const flags = header % 4;
  const channel = flags & 2 ? channelName() : undefined;
  const body = bytes((header - flags) / 4);
  const data = flags & 1 ? body : decodeUtf8(body);
  return channel === undefined ? { data } : { data, channel };
}

/** The entries up to the end of the frame, numbered from `from`. */
function entries(from: number): FrameEntry[] {
  const out: FrameEntry[] = [];
  while (pos < buf.length) out.push(entry());
  if (out.length === 0) fail('frame without messages');
  // Subtract, never add: from + n - 1 rounds above 2^53 and can land back on a safe value.
  if (out.length - 1 > Limits.maxInteger - from) fail('numbers above 2^53 - 1');
  return out;
}

/**
 * UTF-8 to string. Short ASCII (most chat and telemetry messages) skips
 * TextDecoder, whose per-call cost dominates for a few dozen bytes.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= 64) {
    let i = 0;
    while (i < n && bytes[i] < 0x80) i++;
    if (i === n) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return fail('invalid UTF-8');
  }
}

/**
 * Decodes a binary frame. Binary payloads are views into `bytes`, not copies: the
 * caller must not reuse that buffer. Throws ProtocolViolation on any malformed input.
 */
export function decodeFrame(input: Uint8Array): DataFrame {
  buf = input;
  pos = 0;
  try {
    return readFrame();
  } finally {
    buf = EMPTY; // a malformed frame too: the codec holds no frame between calls
  }
}

function readFrame(): DataFrame {
  const kind = byte();
  // Fields are read in the order they are written (an object literal evaluates its properties in order).
  let frame: DataFrame;
  switch (kind) {
    case FrameKind.DATA: {
      const ack = varint();
      const firstSeq = first();
      return { kind, ack, firstSeq, entries: entries(firstSeq) };
    }
    case FrameKind.PUBLICATION: {
      const channel = channelName();
      const epoch = string(Limits.maxIdLength);
      const firstOffset = first();
      return { kind, channel, epoch, firstOffset, entries: entries(firstOffset) };
    }
    case FrameKind.VOLATILE:
      return { kind, entries: entries(1) };
    case FrameKind.ACK:
      frame = { kind, ack: varint() };
      break;
    case FrameKind.RESEND:
      frame = { kind, ack: varint(), seq: first(), originId: string(Limits.maxIdLength), originSeq: first(), entry: entry() };
      break;
    default:
      return fail(`unknown frame kind ${kind}`);
  }
  return pos < buf.length ? fail('trailing bytes after the frame') : frame;
}

// ---- control messages ---------------------------------------------------------------

/** Encodes a control message as the text of a WebSocket text frame. */
export function encodeControl(message: ControlMessage): string {
  return JSON.stringify(message);
}

type Json = Record<string, unknown>;

/*
 * The fields of each control message, in the order a decoded message has them, as
 * `name:kind`; `name?` is optional (absent, never null). Kinds: none, an integer >= 0;
 * p an integer >= 1; N an integer >= 0 or null; b a boolean; h a channel name; a number,
 * a string of at most that many characters; {…} an object with those fields. Each spec
 * is parsed once, on first use. The tables have no prototype, so a message of type
 * "constructor" finds nothing.
 */
const ID = Limits.maxIdLength;
const GAP = 'gap?:{from to:N}';
const SERVER: Record<string, string> = {
  __proto__: null as never,
  welcome:
    `v id:${ID} token:${ID} resumed:b recv ack ${GAP} previous?:{id:${ID} ack} pingMs:p ` +
    'maxMessageBytes maxFrameBytes sessionTtlMs replayMaxMessages replayMaxBytes sent?',
  ping: '',
  pong: '',
  nack: 'seq code:64 message:1024',
  refresh: 'inMs',
  error: 'code:64 message:1024',
  subscribed: `ch:h offset epoch:${ID} recovered:b ${GAP} latest?`,
  unsubscribed: 'ch:h code?:64 message?:1024',
};
const CLIENT: Record<string, string> = {
  __proto__: null as never,
  hello: `v auth?:${Limits.maxControlBytes} resume?:{id:${ID} token:${ID} recv}`,
  ping: '',
  pong: '',
  auth: `token:${Limits.maxControlBytes}`,
  sub: `ch:h since?:{offset epoch:${ID}}`,
  unsub: 'ch:h',
  bye: '',
};

interface Field {
  key: string;
  optional: boolean;
  kind: string;
  /** For a string: its longest length; else 0. */
  max: number;
  /** For an object: its fields. */
  nested: Field[] | undefined;
}

const parsedSpecs = new Map<string, Field[]>();

function parseSpec(spec: string): Field[] {
  let parsed = parsedSpecs.get(spec);
  if (!parsed) {
    parsed = [...spec.matchAll(/(\w+)(\?)?:?({[^}]*}|\w*)/g)].map(([, key, optional, kind]) => ({
      key,
      optional: optional !== undefined,
      kind,
      max: +kind,
      nested: kind[0] === '{' ? parseSpec(kind) : undefined,
    }));
    parsedSpecs.set(spec, parsed);
  }
  return parsed;
}

/** What a value of this field must be, for the error message; undefined when `v` is one. */
function mismatch({ kind, max, nested }: Field, v: unknown): string | undefined {
  if (max) return typeof v === 'string' && v.length <= max ? undefined : `a string of at most ${max} characters`;
  if (nested) return isObject(v) ? undefined : 'an object';
  switch (kind) {
    case 'b':
      return typeof v === 'boolean' ? undefined : 'a boolean';
    case 'h':
      return isValidChannel(v) ? undefined : 'a channel name';
    case 'N':
      return v === null || isUint(v) ? undefined : 'an integer >= 0 or null';
    case 'p':
      return isUint(v) && v >= 1 ? undefined : 'an integer >= 1';
    default:
      return isUint(v) ? undefined : 'an integer >= 0';
  }
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isUint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * Copies the `fields` from `o` to `out`, checked. Only known fields are copied,
 * so keys such as `__proto__` never reach an object the app sees.
 */
function copyFields(o: Json, fields: Field[], path: string, out: Json): Json {
  for (const field of fields) {
    const { key, nested } = field;
    const v = o[key];
    if (v === undefined && field.optional) continue;
    const expected = mismatch(field, v);
    if (expected) fail(`${path}${key} must be ${expected}`);
    const value = (out[key] = nested ? copyFields(v as Json, nested, `${path}${key}.`, {}) : v);
    if (key === 'gap') {
      const { from, to } = value as Gap;
      if (to !== null && to < from) fail(`${path}gap.to is before ${path}gap.from`);
    }
  }
  return out;
}

function decodeControl(text: string, table: Record<string, string>): Json | undefined {
  let o: unknown;
  // Outside the try: rollup keeps every property of an object read inside one.
  if (text.length <= Limits.maxControlBytes)
    try {
      o = JSON.parse(text);
    } catch {
      // not JSON: o stays undefined and fails below
    }
  if (!isObject(o) || typeof o.t !== 'string') fail(`a control message is a JSON object with a string t, at most ${Limits.maxControlBytes} characters`);
  const spec = table[o.t];
  return spec === undefined ? undefined : copyFields(o, parseSpec(spec), `${o.t}.`, { t: o.t });
}

/**
 * Decodes what a client sends. Returns undefined for a well-formed message of a
 * type this version does not know (ignored, for forward compatibility); throws
 * ProtocolViolation for malformed input.
 */
export function decodeClientControl(text: string): ClientControl | undefined {
  return decodeControl(text, CLIENT) as ClientControl | undefined;
}

/** Decodes what a server sends; same rules as decodeClientControl. */
export function decodeServerControl(text: string): ServerControl | undefined {
  return decodeControl(text, SERVER) as ServerControl | undefined;
}

/** The hello a client sends first on every socket. */
export function helloFor(resume?: { id: string; token: string; recv: number }, auth?: string): ClientControl {
  return { t: 'hello', v: PROTOCOL_VERSION, ...(auth !== undefined && { auth }), ...(resume && { resume }) };
}
