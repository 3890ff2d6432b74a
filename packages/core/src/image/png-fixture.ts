import { crc32, deflateSync } from "node:zlib";

/**
 * Builds PNG files byte by byte for tests: a palette mask with known indices, or a header that
 * lies about its size (a decompression bomb), neither of which an encoder will write on request.
 */
export interface PngFixture {
  width: number;
  height: number;
  /** 0 grey, 2 RGB, 3 palette. @default 0 */
  colourType?: number;
  /** 1, 2, 4 or 8; below 8 only for one-sample grey or palette pixels. @default 8 */
  bitDepth?: number;
  /** One byte per sample, rows of width * samples-per-pixel; packed here when bitDepth < 8. */
  pixels?: Uint8Array;
  /** RGB triplets for a PLTE chunk. */
  palette?: Uint8Array;
  /** Bytes of a deliberately short IDAT, instead of the real pixels. */
  idat?: Uint8Array;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, "ascii");
  Buffer.from(data).copy(b, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)), 8 + data.length);
  return b;
}

const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export function craftPng(f: PngFixture): Uint8Array {
  const colourType = f.colourType ?? 0;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(f.width, 0);
  ihdr.writeUInt32BE(f.height, 4);
  const bitDepth = f.bitDepth ?? 8;
  ihdr[8] = bitDepth;
  ihdr[9] = colourType;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr)];
  if (f.palette) parts.push(chunk("PLTE", f.palette));
  let idat = f.idat;
  if (!idat) {
    const samples = f.width * SAMPLES[colourType];
    const pixels = f.pixels ?? new Uint8Array(samples * f.height);
    const stride = Math.ceil((samples * bitDepth) / 8);
    const filtered = new Uint8Array((stride + 1) * f.height);
    for (let y = 0; y < f.height; y++) {
      const row = y * (stride + 1) + 1; // after the filter-type byte (0: none)
      for (let i = 0; i < samples; i++) {
        const bit = i * bitDepth;
        filtered[row + (bit >> 3)] |= pixels[y * samples + i] << (8 - bitDepth - (bit & 7));
      }
    }
    idat = deflateSync(filtered);
  }
  parts.push(chunk("IDAT", idat), chunk("IEND", new Uint8Array()));
  return new Uint8Array(Buffer.concat(parts));
}
