/**
 * Just enough of the PNG container to read what sharp does not expose: the colour type and the
 * palette (PLTE), needed to turn a palette mask back into its class indices.
 */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** PNG colour types (IHDR byte 9). */
export const PNG_COLOUR_TYPE = { grey: 0, rgb: 2, palette: 3, greyAlpha: 4, rgba: 6 } as const;

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  /** RGB triplets of the PLTE chunk, when present. */
  palette: Uint8Array | undefined;
}

export function hasPngSignature(bytes: Uint8Array): boolean {
  if (bytes.length < SIGNATURE.length) return false;
  return SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * Reads IHDR and PLTE by walking the chunk list up to the first IDAT; CRCs are left to the real
 * decoder. Returns undefined when the container is malformed.
 */
export function readPngHeader(bytes: Uint8Array): PngHeader | undefined {
  if (!hasPngSignature(bytes)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = SIGNATURE.length;
  let header: Omit<PngHeader, "palette"> | undefined;
  let palette: Uint8Array | undefined;
  while (p + 8 <= bytes.length) {
    const length = view.getUint32(p);
    const type = String.fromCharCode(bytes[p + 4], bytes[p + 5], bytes[p + 6], bytes[p + 7]);
    const start = p + 8;
    if (start + length > bytes.length) return undefined;
    if (type === "IHDR") {
      if (length < 13) return undefined;
      header = {
        width: view.getUint32(start),
        height: view.getUint32(start + 4),
        bitDepth: bytes[start + 8],
        colourType: bytes[start + 9],
      };
    } else if (type === "PLTE") {
      if (length % 3 !== 0) return undefined;
      palette = bytes.slice(start, start + length);
    } else if (type === "IDAT" || type === "IEND") {
      break;
    }
    p = start + length + 4; // data + CRC
  }
  return header ? { ...header, palette } : undefined;
}
