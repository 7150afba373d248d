// Renders vectors.json as the "Test vectors" section of PROTOCOL.md, and parses that
// section back, so a test can hold the prose spec to the same bytes as the JSON file.
//
// Each vector is a fenced block with the info string `vector` and `key: value` lines:
//   name, hex | text, dir (control only), decoded (frames; control when it differs
//   from the text), reject (must be refused), decodeOnly, note.
import type { ControlVector, FrameVector, InvalidControlVector, InvalidFrameVector, Vectors } from './frame-json.js';

export const BEGIN = '<!-- vectors:begin (generated from packages/protocol/test/vectors.json) -->';
export const END = '<!-- vectors:end -->';

const DIR = { client: 'client → server', server: 'server → client' } as const;

function block(lines: [string, string | undefined][]): string {
  const body = lines
    .filter((l): l is [string, string] => l[1] !== undefined)
    .map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`)
    .join('\n');
  return '```vector\n' + body + '\n```\n';
}

const hexOrEmpty = (hex: string) => (hex === '' ? '(empty)' : hex);

/**
 * JSON with invisible characters (controls, format characters such as U+FEFF, line
 * separators) written as \uXXXX, so a reader of PROTOCOL.md sees them. Still valid JSON.
 */
export function visibleJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function renderVectors(v: Vectors): string {
  const out: string[] = [BEGIN, ''];
  out.push('### Frames (binary)', '');
  for (const f of v.frames) {
    out.push(
      block([
        ['name', f.name],
        ['hex', hexOrEmpty(f.hex)],
        ['decoded', visibleJson(f.frame)],
        ['decodeOnly', f.decodeOnly ? 'true' : undefined],
        ['note', f.note],
      ]),
    );
  }
  out.push('### Frames a decoder must reject', '');
  for (const f of v.invalidFrames) {
    out.push(block([['name', f.name], ['hex', hexOrEmpty(f.hex)], ['reject', f.why]]));
  }
  out.push('### Control messages (text)', '');
  for (const c of v.control) {
    const sameAsText = !c.decodeOnly && c.message !== null;
    out.push(
      block([
        ['name', c.name],
        ['dir', DIR[c.direction]],
        ['text', c.text],
        ['decoded', sameAsText ? undefined : visibleJson(c.message)],
        ['decodeOnly', c.decodeOnly ? 'true' : undefined],
        ['note', c.note],
      ]),
    );
  }
  out.push('### Control messages a decoder must reject', '');
  for (const c of v.invalidControl) {
    out.push(block([['name', c.name], ['dir', DIR[c.direction]], ['text', c.text], ['reject', c.why]]));
  }
  out.push(END);
  return out.join('\n');
}

/** Every ```vector block of a markdown document, as key → value maps. */
export function parseVectorBlocks(markdown: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  const re = /^```vector\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(re)) {
    const fields = new Map<string, string>();
    for (const line of m[1].split('\n')) {
      if (line === '') continue;
      const kv = /^(\w+):\s+(.*)$/.exec(line);
      if (!kv) throw new Error(`unparseable vector line: ${line}`);
      if (fields.has(kv[1])) throw new Error(`duplicate key ${kv[1]} in vector block`);
      fields.set(kv[1], kv[2]);
    }
    blocks.push(fields);
  }
  return blocks;
}

/** Turns parsed blocks back into the shape of vectors.json. */
export function blocksToVectors(blocks: Map<string, string>[]): Vectors {
  const v: Vectors = { frames: [], invalidFrames: [], control: [], invalidControl: [] };
  const need = (b: Map<string, string>, k: string): string => {
    const value = b.get(k);
    if (value === undefined) throw new Error(`vector ${b.get('name')} lacks ${k}`);
    return value;
  };
  const unhex = (s: string) => (s === '(empty)' ? '' : s);
  const dir = (s: string): 'client' | 'server' => {
    if (s === DIR.client) return 'client';
    if (s === DIR.server) return 'server';
    throw new Error(`bad dir ${s}`);
  };
  for (const b of blocks) {
    const name = need(b, 'name');
    const note = b.get('note');
    const decodeOnly = b.get('decodeOnly') === 'true';
    if (b.has('hex') && b.has('reject')) {
      v.invalidFrames.push({ name, hex: unhex(need(b, 'hex')), why: need(b, 'reject') } satisfies InvalidFrameVector);
    } else if (b.has('hex')) {
      const f: FrameVector = { name, hex: unhex(need(b, 'hex')), frame: JSON.parse(need(b, 'decoded')) };
      if (decodeOnly) f.decodeOnly = true;
      if (note !== undefined) f.note = note;
      v.frames.push(f);
    } else if (b.has('reject')) {
      v.invalidControl.push({
        name,
        direction: dir(need(b, 'dir')),
        text: need(b, 'text'),
        why: need(b, 'reject'),
      } satisfies InvalidControlVector);
    } else {
      const text = need(b, 'text');
      const decoded = b.get('decoded');
      const c: ControlVector = {
        name,
        direction: dir(need(b, 'dir')),
        text,
        message: decoded === undefined ? JSON.parse(text) : JSON.parse(decoded),
      };
      if (decodeOnly) c.decodeOnly = true;
      if (note !== undefined) c.note = note;
      v.control.push(c);
    }
  }
  return v;
}
