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
  type Payload,
  type ServerControl,
} from './messages.js';

/** A frame or control message that does not follow PROTOCOL.md. */
export class ProtocolViolation extends Error {
  override name = 'ProtocolViolation';
}

const utf8Encoder = new TextEncoder();
// ignoreBOM: a payload that starts with U+FEFF is data, not a byte-order mark; the
// default (ignoreBOM: false) would silently strip it and break the roundtrip.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function fail(why: string): never {
  throw new ProtocolViolation(why);
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

/** A growable byte buffer; one per encoded frame. */
class Writer {
  buf: Uint8Array;
  pos = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }
  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
  u8(byte: number): void {
    this.ensure(1);
    this.buf[this.pos++] = byte;
  }
  varint(n: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    while (n >= 0x80) {
      buf[pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    buf[pos++] = n;
    this.pos = pos;
  }
  string(text: string): void {
    const bytes = utf8Encoder.encode(text);
    this.varint(bytes.length);
    this.bytes(bytes);
  }
  bytes(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
  entry(entry: FrameEntry): void {
    const { data, channel } = entry;
    const channelFlag = channel === undefined ? 0 : 2;
    if (typeof data !== 'string') {
      this.varint(data.length * 4 + channelFlag + 1);
      if (channel !== undefined) this.string(channel);
      this.bytes(data);
      return;
    }
    if (channel !== undefined) {
      const bytes = utf8Encoder.encode(data);
      this.varint(bytes.length * 4 + channelFlag);
      this.string(channel);
      this.bytes(bytes);
      return;
    }
    // Encode straight into the frame, guessing the header from the UTF-16 length
    // (exact for ASCII); on a longer result, move the payload to make room.
    this.ensure(8 + data.length * 3);
    const guess = varintSize(data.length * 4);
    const start = this.pos + guess;
    const written = utf8Encoder.encodeInto(data, this.buf.subarray(start)).written;
    const size = varintSize(written * 4);
    if (size !== guess) this.buf.copyWithin(this.pos + size, start, start + written);
    this.varint(written * 4);
    this.pos += written;
  }
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/**
 * Capacity that fits the frame without growing: exact for binary and ASCII text, plus
 * the headroom `entry()` asks for while it encodes one string in place (3 bytes per
 * UTF-16 unit), so a frame of ASCII text is never copied to a bigger buffer.
 */
function payloadSizeHint(entries: readonly FrameEntry[]): number {
  let size = 16;
  let headroom = 0;
  for (const e of entries) {
    const data = e.data;
    size += 4 + data.length + (e.channel === undefined ? 0 : 2 + e.channel.length);
    if (typeof data === 'string' && data.length * 2 > headroom) headroom = data.length * 2;
  }
  return size + headroom + 8;
}

/** ACK: the sender has received every peer message up to and including `ack`. */
export function encodeAck(ack: number): Uint8Array {
  const w = new Writer(10);
  w.u8(FrameKind.ACK);
  w.varint(ack);
  return w.finish();
}

/** DATA: messages numbered firstSeq, firstSeq + 1, …, with a piggybacked ack. */
export function encodeData(ack: number, firstSeq: number, entries: readonly FrameEntry[]): Uint8Array {
  const w = new Writer(payloadSizeHint(entries));
  w.u8(FrameKind.DATA);
  w.varint(ack);
  w.varint(firstSeq);
  for (const e of entries) w.entry(e);
  return w.finish();
}

/** RESEND: one message of a lost session, sent again in a new one under an idempotency key. */
export function encodeResend(
  ack: number,
  seq: number,
  originId: string,
  originSeq: number,
  entry: FrameEntry,
): Uint8Array {
  const w = new Writer(payloadSizeHint([entry]) + originId.length * 3);
  w.u8(FrameKind.RESEND);
  w.varint(ack);
  w.varint(seq);
  w.string(originId);
  w.varint(originSeq);
  w.entry(entry);
  return w.finish();
}

/** VOLATILE: messages outside the sequence: never queued, replayed or acknowledged. */
export function encodeVolatile(entries: readonly FrameEntry[]): Uint8Array {
  const w = new Writer(payloadSizeHint(entries));
  w.u8(FrameKind.VOLATILE);
  for (const e of entries) w.entry(e);
  return w.finish();
}

/** PUBLICATION: channel messages at offsets firstOffset, firstOffset + 1, …; encoded once per fan-out. */
export function encodePublication(
  channel: string,
  epoch: string,
  firstOffset: number,
  entries: readonly FrameEntry[],
): Uint8Array {
  const w = new Writer(payloadSizeHint(entries) + channel.length * 3 + epoch.length * 3);
  w.u8(FrameKind.PUBLICATION);
  w.string(channel);
  w.string(epoch);
  w.varint(firstOffset);
  for (const e of entries) w.entry(e);
  return w.finish();
}

// ---- reader -------------------------------------------------------------------------

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  u8(): number {
    if (this.pos >= this.buf.length) fail('frame truncated');
    return this.buf[this.pos++];
  }
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (value > Limits.maxInteger) fail('integer out of range');
        return value;
      }
      scale *= 128;
    }
    fail('varint longer than 8 bytes');
  }
  bytes(length: number): Uint8Array {
    const end = this.pos + length;
    if (end > this.buf.length) fail('length past the end of the frame');
    const view = this.buf.subarray(this.pos, end);
    this.pos = end;
    return view;
  }
  text(length: number): string {
    return decodeUtf8(this.bytes(length));
  }
  string(maxBytes: number): string {
    const length = this.varint();
    if (length > maxBytes) fail('string too long');
    return this.text(length);
  }
  entry(): FrameEntry {
    const header = this.varint();
    const flags = header % 4;
    const length = (header - flags) / 4;
    let channel: string | undefined;
    if (flags & 2) {
      channel = this.string(Limits.maxChannelLength);
      if (!isValidChannel(channel)) fail('invalid channel name');
    }
    const data: Payload = flags & 1 ? this.bytes(length) : this.text(length);
    return channel === undefined ? { data } : { data, channel };
  }
  entries(): FrameEntry[] {
    const out: FrameEntry[] = [];
    while (!this.done) out.push(this.entry());
    return out;
  }
}

/**
 * UTF-8 to string. Short ASCII (most chat and telemetry messages) skips
 * TextDecoder, whose per-call cost dominates for a few dozen bytes.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= 64) {
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (bytes[i] > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    fail('invalid UTF-8');
  }
}

/**
 * Decodes a binary frame. Binary payloads are views into `bytes`, not copies: the
 * caller must not reuse that buffer. Throws ProtocolViolation on any malformed input.
 */
export function decodeFrame(bytes: Uint8Array): DataFrame {
  const r = new Reader(bytes);
  const kind = r.u8();
  switch (kind) {
    case FrameKind.ACK: {
      const ack = r.varint();
      if (!r.done) fail('trailing bytes after ack');
      return { kind, ack };
    }
    case FrameKind.DATA: {
      const ack = r.varint();
      const firstSeq = r.varint();
      if (firstSeq < 1) fail('sequence numbers start at 1');
      const entries = r.entries();
      if (entries.length === 0) fail('empty data frame');
      // Subtract, never add: firstSeq + n - 1 rounds above 2^53 and can land back on a safe value.
      if (entries.length - 1 > Limits.maxInteger - firstSeq) fail('sequence number out of range');
      return { kind, ack, firstSeq, entries };
    }
    case FrameKind.RESEND: {
      const ack = r.varint();
      const seq = r.varint();
      if (seq < 1) fail('sequence numbers start at 1');
      const originId = r.string(Limits.maxIdLength);
      const originSeq = r.varint();
      if (originSeq < 1) fail('sequence numbers start at 1');
      const entry = r.entry();
      if (!r.done) fail('a resend frame carries one message');
      return { kind, ack, seq, originId, originSeq, entry };
    }
    case FrameKind.VOLATILE: {
      const entries = r.entries();
      if (entries.length === 0) fail('empty volatile frame');
      return { kind, entries };
    }
    case FrameKind.PUBLICATION: {
      const channel = r.string(Limits.maxChannelLength);
      if (!isValidChannel(channel)) fail('invalid channel name');
      const epoch = r.string(Limits.maxIdLength);
      const firstOffset = r.varint();
      if (firstOffset < 1) fail('offsets start at 1');
      const entries = r.entries();
      if (entries.length === 0) fail('empty publication frame');
      if (entries.length - 1 > Limits.maxInteger - firstOffset) fail('offset out of range');
      return { kind, channel, epoch, firstOffset, entries };
    }
    default:
      fail(`unknown frame kind ${kind}`);
  }
}

// ---- control messages ---------------------------------------------------------------

/** Encodes a control message as the text of a WebSocket text frame. */
export function encodeControl(message: ControlMessage): string {
  return JSON.stringify(message);
}

type Json = Record<string, unknown>;

function uint(o: Json, key: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(`${key} must be a non-negative integer`);
  return v;
}
function str(o: Json, key: string, max: number = Limits.maxIdLength): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length > max) fail(`${key} must be a string of at most ${max} characters`);
  return v;
}
function optStr(o: Json, key: string, max?: number): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, max);
}
function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(`${what} must be an object`);
  return v as Json;
}
function channel(o: Json): string {
  const ch = o.ch;
  if (!isValidChannel(ch)) fail('ch must be a valid channel name');
  return ch;
}
function gap(v: unknown): Gap | undefined {
  if (v === undefined) return undefined;
  const g = obj(v, 'gap');
  const from = uint(g, 'from');
  const to = g.to === null ? null : uint(g, 'to');
  if (to !== null && to < from) fail('gap.to before gap.from');
  return { from, to };
}
function parse(text: string): Json {
  if (text.length > Limits.maxControlBytes) fail('control message too large');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail('control message is not JSON');
  }
  const o = obj(value, 'control message');
  if (typeof o.t !== 'string') fail('control message without a type');
  return o;
}

/**
 * Decodes what a client sends. Returns undefined for a well-formed message of a
 * type this version does not know (ignored, for forward compatibility); throws
 * ProtocolViolation for malformed input. Only known fields are copied, so keys
 * such as `__proto__` never reach an object the app sees.
 */
export function decodeClientControl(text: string): ClientControl | undefined {
  const o = parse(text);
  switch (o.t) {
    case 'hello': {
      const v = uint(o, 'v');
      const auth = optStr(o, 'auth', Limits.maxControlBytes);
      let resume: { id: string; token: string; recv: number } | undefined;
      if (o.resume !== undefined) {
        const r = obj(o.resume, 'resume');
        resume = { id: str(r, 'id'), token: str(r, 'token'), recv: uint(r, 'recv') };
      }
      return { t: 'hello', v, ...(auth !== undefined && { auth }), ...(resume && { resume }) };
    }
    case 'ping':
    case 'pong':
      return { t: o.t };
    case 'auth':
      return { t: 'auth', token: str(o, 'token', Limits.maxControlBytes) };
    case 'sub': {
      const ch = channel(o);
      if (o.since === undefined) return { t: 'sub', ch };
      const s = obj(o.since, 'since');
      return { t: 'sub', ch, since: { offset: uint(s, 'offset'), epoch: str(s, 'epoch') } };
    }
    case 'unsub':
      return { t: 'unsub', ch: channel(o) };
    case 'bye':
      return { t: 'bye' };
    default:
      return undefined;
  }
}

/** Decodes what a server sends; same rules as decodeClientControl. */
export function decodeServerControl(text: string): ServerControl | undefined {
  const o = parse(text);
  switch (o.t) {
    case 'welcome': {
      if (typeof o.resumed !== 'boolean') fail('resumed must be a boolean');
      const g = gap(o.gap);
      let previous: { id: string; ack: number } | undefined;
      if (o.previous !== undefined) {
        const p = obj(o.previous, 'previous');
        previous = { id: str(p, 'id'), ack: uint(p, 'ack') };
      }
      const pingMs = uint(o, 'pingMs');
      if (pingMs < 1) fail('pingMs must be positive');
      return {
        t: 'welcome',
        v: uint(o, 'v'),
        id: str(o, 'id'),
        token: str(o, 'token'),
        resumed: o.resumed,
        recv: uint(o, 'recv'),
        ack: uint(o, 'ack'),
        ...(g && { gap: g }),
        ...(previous && { previous }),
        pingMs,
        maxMessageBytes: uint(o, 'maxMessageBytes'),
        maxFrameBytes: uint(o, 'maxFrameBytes'),
        sessionTtlMs: uint(o, 'sessionTtlMs'),
        replayMaxMessages: uint(o, 'replayMaxMessages'),
        replayMaxBytes: uint(o, 'replayMaxBytes'),
      };
    }
    case 'ping':
    case 'pong':
      return { t: o.t };
    case 'nack':
      return { t: 'nack', seq: uint(o, 'seq'), code: str(o, 'code', 64), message: str(o, 'message', 1024) };
    case 'refresh':
      return { t: 'refresh', inMs: uint(o, 'inMs') };
    case 'error':
      return { t: 'error', code: str(o, 'code', 64), message: str(o, 'message', 1024) };
    case 'subscribed': {
      if (typeof o.recovered !== 'boolean') fail('recovered must be a boolean');
      const g = gap(o.gap);
      return {
        t: 'subscribed',
        ch: channel(o),
        offset: uint(o, 'offset'),
        epoch: str(o, 'epoch'),
        recovered: o.recovered,
        ...(g && { gap: g }),
      };
    }
    case 'unsubscribed': {
      const code = optStr(o, 'code', 64);
      const message = optStr(o, 'message', 1024);
      return {
        t: 'unsubscribed',
        ch: channel(o),
        ...(code !== undefined && { code }),
        ...(message !== undefined && { message }),
      };
    }
    default:
      return undefined;
  }
}

/** The hello a client sends first on every socket. */
export function helloFor(resume?: { id: string; token: string; recv: number }, auth?: string): ClientControl {
  return { t: 'hello', v: PROTOCOL_VERSION, ...(auth !== undefined && { auth }), ...(resume && { resume }) };
}
