// The JSON form of binary frames used by vectors.json and the "Test vectors" section of
// PROTOCOL.md: kinds by name, text payloads as {"text"}, binary payloads as {"binary": hex}.
// A second implementation can load the same file without knowing our TypeScript types.
import {
  FrameKind,
  decodeFrame,
  encodeAck,
  encodeData,
  encodePublication,
  encodeResend,
  encodeVolatile,
  type DataFrame,
  type FrameEntry,
} from '@continuum/protocol';

export type EntryJson = ({ text: string } | { binary: string }) & { channel?: string };

export type FrameJson =
  | { kind: 'ACK'; ack: number }
  | { kind: 'DATA'; ack: number; firstSeq: number; entries: EntryJson[] }
  | { kind: 'RESEND'; ack: number; seq: number; originId: string; originSeq: number; entry: EntryJson }
  | { kind: 'VOLATILE'; entries: EntryJson[] }
  | { kind: 'PUBLICATION'; channel: string; epoch: string; firstOffset: number; entries: EntryJson[] };

/** `01 0a ff` or `010aff` → bytes. Whitespace is ignored. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Bytes → `01 0a ff` (lower case, one space between bytes). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function entryToJson(e: FrameEntry): EntryJson {
  const body = typeof e.data === 'string' ? { text: e.data } : { binary: toHex(e.data).replace(/ /g, '') };
  return e.channel === undefined ? body : { ...body, channel: e.channel };
}

function entryFromJson(e: EntryJson): FrameEntry {
  const data = 'text' in e ? e.text : fromHex(e.binary);
  return e.channel === undefined ? { data } : { data, channel: e.channel };
}

export function frameToJson(f: DataFrame): FrameJson {
  switch (f.kind) {
    case FrameKind.ACK:
      return { kind: 'ACK', ack: f.ack };
    case FrameKind.DATA:
      return { kind: 'DATA', ack: f.ack, firstSeq: f.firstSeq, entries: f.entries.map(entryToJson) };
    case FrameKind.RESEND:
      return {
        kind: 'RESEND',
        ack: f.ack,
        seq: f.seq,
        originId: f.originId,
        originSeq: f.originSeq,
        entry: entryToJson(f.entry),
      };
    case FrameKind.VOLATILE:
      return { kind: 'VOLATILE', entries: f.entries.map(entryToJson) };
    case FrameKind.PUBLICATION:
      return {
        kind: 'PUBLICATION',
        channel: f.channel,
        epoch: f.epoch,
        firstOffset: f.firstOffset,
        entries: f.entries.map(entryToJson),
      };
  }
}

/** Encodes the JSON form with the real encoders. */
export function encodeJson(f: FrameJson): Uint8Array {
  switch (f.kind) {
    case 'ACK':
      return encodeAck(f.ack);
    case 'DATA':
      return encodeData(f.ack, f.firstSeq, f.entries.map(entryFromJson));
    case 'RESEND':
      return encodeResend(f.ack, f.seq, f.originId, f.originSeq, entryFromJson(f.entry));
    case 'VOLATILE':
      return encodeVolatile(f.entries.map(entryFromJson));
    case 'PUBLICATION':
      return encodePublication(f.channel, f.epoch, f.firstOffset, f.entries.map(entryFromJson));
  }
}

/** Decodes hex with the real decoder into the JSON form. */
export function decodeHexToJson(hex: string): FrameJson {
  return frameToJson(decodeFrame(fromHex(hex)));
}

// ---- vectors.json ------------------------------------------------------------------

export interface FrameVector {
  name: string;
  hex: string;
  frame: FrameJson;
  /** Accepted by decoders but not what an encoder emits (e.g. a non-minimal varint). */
  decodeOnly?: boolean;
  note?: string;
}
export interface InvalidFrameVector {
  name: string;
  hex: string;
  why: string;
}
export interface ControlVector {
  name: string;
  direction: 'client' | 'server';
  text: string;
  /** What the decoder returns; null: a well-formed message of an unknown type, ignored. */
  message: Record<string, unknown> | null;
  decodeOnly?: boolean;
  note?: string;
}
export interface InvalidControlVector {
  name: string;
  direction: 'client' | 'server';
  text: string;
  why: string;
}
export interface Vectors {
  frames: FrameVector[];
  invalidFrames: InvalidFrameVector[];
  control: ControlVector[];
  invalidControl: InvalidControlVector[];
}
