// Just enough of PNG to look at a Chromium screenshot: 8-bit RGB or RGBA, non-interlaced.
import { inflateSync } from 'node:zlib';

export interface Png {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel. */
  rgba: Buffer;
}

export function decodePng(file: Buffer): Png {
  if (!file.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))) throw new Error('not a PNG');
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < file.length) {
    const len = file.readUInt32BE(pos);
    const type = file.toString('latin1', pos + 4, pos + 8);
    const data = file.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colorType, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      if (depth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0)
        throw new Error(`unsupported PNG: depth ${depth}, color type ${colorType}, interlace ${interlace}`);
      channels = colorType === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      let v = src[x]!;
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      out[y * stride + x] = v & 0xff;
    }
  }
  if (channels === 4) return { width, height, rgba: out };
  const rgba = Buffer.alloc(width * height * 4, 255);
  for (let p = 0; p < width * height; p++) out.copy(rgba, p * 4, p * 3, p * 3 + 3);
  return { width, height, rgba };
}

/** How many pixels have each color, keyed `#rrggbb`. */
export function colorHistogram(png: Png): Map<string, number> {
  const counts = new Map<string, number>();
  for (let p = 0; p < png.width * png.height; p++) {
    const key = `#${png.rgba.toString('hex', p * 4, p * 4 + 3)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Pixels of `color` (`#rrggbb`) that lie in vertical runs of at least `minRun` pixels of it: solid
 * blocks such as the timeline's store marks count, text strokes and small legend swatches do not.
 */
export function tallRunPixels(png: Png, color: string, minRun: number): number {
  const want = Buffer.from(color.slice(1), 'hex');
  let total = 0;
  for (let x = 0; x < png.width; x++) {
    let run = 0;
    for (let y = 0; y <= png.height; y++) {
      const p = (y * png.width + x) * 4;
      if (y < png.height && png.rgba[p] === want[0] && png.rgba[p + 1] === want[1] && png.rgba[p + 2] === want[2])
        run++;
      else {
        if (run >= minRun) total += run;
        run = 0;
      }
    }
  }
  return total;
}
