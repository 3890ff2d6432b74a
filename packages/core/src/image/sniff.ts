/**
 * Content sniffing by magic bytes. Uploads arrive with whatever Content-Type the client claims, so
 * the bytes themselves decide what an image is; the decoder and the API both ask this module.
 */

/** Formats the decoder accepts. */
export const ACCEPTED_IMAGE_FORMATS = ["jpeg", "png", "webp"] as const;
export type AcceptedImageFormat = (typeof ACCEPTED_IMAGE_FORMATS)[number];

/** Formats recognised well enough to name in an error, but refused. */
export type UnsupportedImageFormat =
  | "gif"
  | "tiff"
  | "bmp"
  | "avif"
  | "heif"
  | "jxl"
  | "jp2"
  | "ico"
  | "psd"
  | "svg"
  | "xml"
  | "html"
  | "pdf";

export type SniffedImageFormat = AcceptedImageFormat | UnsupportedImageFormat;

/** Brands in an ISO-BMFF `ftyp` box that mean AVIF; other image brands mean HEIF. */
const AVIF_BRANDS = new Set(["avif", "avis"]);
const HEIF_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"]);

/** Sizes of the BMP DIB header variants (offset 14), so any text starting "BM" is not a bitmap. */
const BMP_DIB_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < Math.min(to, bytes.length); i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Text formats (SVG, XML, HTML) are recognised from their first markup, after a BOM and blanks. */
function sniffMarkup(bytes: Uint8Array): UnsupportedImageFormat | undefined {
  let i = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)
  )
    i++;
  if (bytes[i] !== 0x3c /* < */) return undefined;
  const head = ascii(bytes, i, i + 1024).toLowerCase();
  if (head.startsWith("<svg") || (head.includes("<svg") && !head.includes("<html"))) return "svg";
  if (head.startsWith("<!doctype html") || head.includes("<html") || head.startsWith("<head")) return "html";
  if (head.startsWith("<body") || head.startsWith("<div") || head.startsWith("<p")) return "html";
  if (head.startsWith("<?xml") || head.startsWith("<!--")) return "xml";
  return undefined;
}

/**
 * Names the format of image bytes from their magic numbers, never from a declared type, so a GIF
 * or an HTML page sent as `image/jpeg` is caught before it reaches a decoder.
 *
 * @returns an accepted format ("jpeg", "png", "webp"), a recognised unsupported one ("gif",
 *   "tiff", "bmp", "avif", "heif", "svg", "html", "pdf", ...), or undefined when unknown.
 * @example
 * sniffImageFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])); // "jpeg"
 */
export function sniffImageFormat(bytes: Uint8Array): SniffedImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 12) === "WEBP") return "webp";
  if (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a") return "gif";
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return "tiff";
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b]))
    return "tiff";
  if (
    ascii(bytes, 0, 2) === "BM" &&
    BMP_DIB_HEADER_SIZES.has(bytes[14]) &&
    startsWith(bytes, [0, 0, 0], 15)
  ) {
    return "bmp";
  }
  if (ascii(bytes, 4, 8) === "ftyp") {
    const brand = ascii(bytes, 8, 12);
    if (AVIF_BRANDS.has(brand)) return "avif";
    if (HEIF_BRANDS.has(brand)) return "heif";
    if (brand === "jp2 ") return "jp2";
  }
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return "jp2";
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20]))
    return "jxl";
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return "ico";
  if (ascii(bytes, 0, 4) === "8BPS") return "psd";
  if (ascii(bytes, 0, 5) === "%PDF-") return "pdf";
  return sniffMarkup(bytes);
}

/** True when the sniffed format is one the decoder accepts. */
export function isAcceptedImageFormat(format: string | undefined): format is AcceptedImageFormat {
  return format !== undefined && (ACCEPTED_IMAGE_FORMATS as readonly string[]).includes(format);
}
