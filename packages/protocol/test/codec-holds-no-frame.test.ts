// The codec keeps the frame it is working on in module state; between calls it must
// not keep a reference to it, or an idle page holds its last (up to 1 MiB) frame.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeData } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 5 && ref.deref(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
  }
  return ref.deref() === undefined;
}

describe('codec memory', () => {
  it('lets go of a decoded frame and of an encoded one once the caller does', async () => {
    let frame: Uint8Array | undefined = encodeData(0, 1, [{ data: 'x'.repeat(1 << 20) }]);
    const encoded = new WeakRef(frame.buffer);
    let copy: Uint8Array | undefined = frame.slice();
    const decoded = new WeakRef(copy.buffer);
    decodeFrame(copy);
    frame = copy = undefined;
    expect(await collected(encoded)).toBe(true);
    expect(await collected(decoded)).toBe(true);
  });

  it('lets go of a frame it refused', async () => {
    let frame: Uint8Array | undefined = encodeData(0, 1, [{ data: 'x'.repeat(1 << 20) }]).slice();
    frame[frame.length - 1] = 0xff; // not UTF-8
    const refused = new WeakRef(frame.buffer);
    expect(() => decodeFrame(frame!)).toThrow();
    frame = undefined;
    expect(await collected(refused)).toBe(true);
  });
});
