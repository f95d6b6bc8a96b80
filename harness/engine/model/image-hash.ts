// An image digest that can be updated one cache line at a time.
// Each line hashes (index, content) into 128 bits (four independent 32-bit lanes); the image's
// digest is the lane-wise sum of its lines' hashes, so replacing one line costs one line's hash.
import { LINE_BYTES } from './units.js';

const LANE_SEEDS = [0x9e3779b1, 0x85ebca77, 0xc2b2ae3d, 0x27d4eb2f];

/** Adds (sign = 1) or removes (sign = -1) the hash of line `line` of `image` into `acc`. */
export function mixLine(acc: Uint32Array, line: number, image: Uint8Array, sign: 1 | -1): void {
  mixLineBytes(acc, line, image.subarray(line * LINE_BYTES, (line + 1) * LINE_BYTES), sign);
}

/** The same, for a line's 64 bytes given on their own (a candidate content of that line). */
export function mixLineBytes(acc: Uint32Array, line: number, bytes: Uint8Array, sign: 1 | -1): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, LINE_BYTES);
  for (let lane = 0; lane < 4; lane++) {
    let h = Math.imul(LANE_SEEDS[lane]! ^ line, 0x01000193) >>> 0;
    for (let w = 0; w < LINE_BYTES; w += 4) {
      let k = Math.imul(view.getUint32(w, true), 0xcc9e2d51);
      k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
      h ^= k;
      h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64 + lane) | 0;
    }
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    acc[lane] = (acc[lane]! + sign * (h >>> 0)) >>> 0;
  }
}

/** The digest of a whole image (its length a multiple of LINE_BYTES: see paddedImage). */
export function hashImage(image: Uint8Array): Uint32Array {
  const acc = new Uint32Array(4);
  const lines = Math.ceil(image.length / LINE_BYTES);
  for (let line = 0; line < lines; line++) mixLine(acc, line, image, 1);
  return acc;
}

export function digestKey(acc: Uint32Array): string {
  return hex8(acc[0]!) + hex8(acc[1]!) + hex8(acc[2]!) + hex8(acc[3]!);
}

function hex8(v: number): string {
  return v.toString(16).padStart(8, '0');
}

/** A copy of `image` zero-padded to whole cache lines, the shape every model image has. */
export function paddedImage(image: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.ceil(image.length / LINE_BYTES) * LINE_BYTES);
  out.set(image);
  return out;
}
