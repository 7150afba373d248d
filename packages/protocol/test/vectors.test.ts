// The test vectors of PROTOCOL.md, checked against the real codec in both directions.
// vectors.json is the machine-readable copy; the "Test vectors" section of PROTOCOL.md
// must state exactly the same vectors, so the prose spec cannot drift from the code.
//
// After changing vectors.json, regenerate that section with:
//   UPDATE_VECTORS=1 npx vitest run packages/protocol/test/vectors.test.ts
import { describe, it, expect } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  ProtocolViolation,
  decodeClientControl,
  decodeFrame,
  decodeServerControl,
  encodeControl,
  type ControlMessage,
} from '@continuum/protocol';
import { decodeHexToJson, encodeJson, fromHex, toHex, type Vectors } from './frame-json.js';
import { BEGIN, END, blocksToVectors, parseVectorBlocks, renderVectors } from './vector-doc.js';

const vectorsUrl = new URL('./vectors.json', import.meta.url);
const specUrl = new URL('../../../PROTOCOL.md', import.meta.url);
const fromJson = JSON.parse(readFileSync(vectorsUrl, 'utf8')) as Vectors;

if (process.env.UPDATE_VECTORS) {
  const spec = readFileSync(specUrl, 'utf8');
  const start = spec.indexOf(BEGIN);
  const end = spec.indexOf(END);
  if (start < 0 || end < start) throw new Error('PROTOCOL.md lacks the vectors markers');
  writeFileSync(specUrl, spec.slice(0, start) + renderVectors(fromJson) + spec.slice(end + END.length));
}

const fromSpec = blocksToVectors(parseVectorBlocks(readFileSync(specUrl, 'utf8')));

const decodeControl = (direction: 'client' | 'server', text: string) =>
  direction === 'client' ? decodeClientControl(text) : decodeServerControl(text);

function checkVectors(source: string, v: Vectors): void {
  describe(`${source}: frames`, () => {
    it.each(v.frames.map((f) => [f.name, f] as const))('%s decodes as stated', (_, f) => {
      expect(decodeHexToJson(f.hex)).toEqual(f.frame);
    });
    it.each(v.frames.filter((f) => !f.decodeOnly).map((f) => [f.name, f] as const))(
      '%s encodes to exactly these bytes',
      (_, f) => {
        expect(toHex(encodeJson(f.frame))).toBe(f.hex);
      },
    );
    it.each(v.frames.filter((f) => f.decodeOnly).map((f) => [f.name, f] as const))(
      '%s is decode-only: the encoder emits something else that decodes the same',
      (_, f) => {
        const canonical = toHex(encodeJson(f.frame));
        expect(canonical).not.toBe(f.hex);
        expect(decodeHexToJson(canonical)).toEqual(f.frame);
      },
    );
  });

  describe(`${source}: frames a decoder must reject`, () => {
    it.each(v.invalidFrames.map((f) => [f.name, f] as const))('%s', (_, f) => {
      expect(() => decodeFrame(fromHex(f.hex))).toThrow(ProtocolViolation);
    });
  });

  describe(`${source}: control messages`, () => {
    it.each(v.control.map((c) => [c.name, c] as const))('%s decodes as stated', (_, c) => {
      expect(decodeControl(c.direction, c.text) ?? null).toEqual(c.message);
    });
    it.each(v.control.filter((c) => !c.decodeOnly && c.message !== null).map((c) => [c.name, c] as const))(
      '%s is exactly what encodeControl emits',
      (_, c) => {
        expect(encodeControl(c.message as unknown as ControlMessage)).toBe(c.text);
      },
    );
  });

  describe(`${source}: control messages a decoder must reject`, () => {
    it.each(v.invalidControl.map((c) => [c.name, c] as const))('%s', (_, c) => {
      expect(() => decodeControl(c.direction, c.text)).toThrow(ProtocolViolation);
    });
  });
}

checkVectors('vectors.json', fromJson);
checkVectors('PROTOCOL.md', fromSpec);

describe('vector sets', () => {
  it('PROTOCOL.md states exactly the vectors of vectors.json', () => {
    expect(fromSpec).toEqual(fromJson);
  });

  it('names are unique', () => {
    const names = [...fromJson.frames, ...fromJson.invalidFrames, ...fromJson.control, ...fromJson.invalidControl].map(
      (v) => v.name,
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it('cover every frame kind, text and binary payloads, channels and empty payloads', () => {
    const frames = fromJson.frames.map((f) => f.frame);
    expect(new Set(frames.map((f) => f.kind))).toEqual(new Set(['ACK', 'DATA', 'RESEND', 'VOLATILE', 'PUBLICATION']));
    const entries = frames.flatMap((f) => ('entries' in f ? f.entries : 'entry' in f ? [f.entry] : []));
    expect(entries.some((e) => 'text' in e && e.text === '')).toBe(true);
    expect(entries.some((e) => 'binary' in e && e.binary === '')).toBe(true);
    expect(entries.some((e) => 'text' in e && e.channel !== undefined)).toBe(true);
    expect(entries.some((e) => 'binary' in e && e.channel !== undefined)).toBe(true);
  });

  it('cover every control message type in both directions', () => {
    const types = (dir: 'client' | 'server') =>
      new Set(fromJson.control.filter((c) => c.direction === dir && c.message).map((c) => c.message!.t));
    expect(types('client')).toEqual(new Set(['hello', 'ping', 'pong', 'auth', 'sub', 'unsub', 'bye']));
    expect(types('server')).toEqual(
      new Set(['welcome', 'ping', 'pong', 'nack', 'refresh', 'error', 'subscribed', 'unsubscribed']),
    );
  });

  it('decoding a vector does not pollute Object.prototype', () => {
    for (const c of fromJson.control) decodeControl(c.direction, c.text);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
