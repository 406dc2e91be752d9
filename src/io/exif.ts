/**
 * EXIF orientation (TIFF tag 0x0112) from a JPEG's APP1 "Exif" segment, parsed by hand: the TIFF header, IFD0, one
 * tag. Every offset is bounds-checked against the segment; anything malformed means "no orientation" (1), as in
 * browsers: a broken EXIF block must not make a decodable photo unreadable. Browser-safe.
 */

const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

/** Orientation 1..8 from a TIFF structure (the APP1 payload after "Exif\0\0"); undefined when absent or malformed. */
export function tiffOrientation(tiff: Uint8Array): number | undefined {
  if (tiff.length < 8) return undefined;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = view.getUint16(0);
  if (order !== 0x4949 && order !== 0x4d4d) return undefined; // "II" little-endian, "MM" big-endian
  const le = order === 0x4949;
  if (view.getUint16(2, le) !== 42) return undefined;
  const ifd = view.getUint32(4, le);
  if (ifd + 2 > tiff.length) return undefined;
  const count = view.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + i * 12;
    if (at + 12 > tiff.length) return undefined;
    if (view.getUint16(at, le) !== ORIENTATION_TAG) continue;
    // A SHORT with count 1 sits in the first two bytes of the value field.
    if (view.getUint16(at + 2, le) !== SHORT || view.getUint32(at + 4, le) !== 1) return undefined;
    const v = view.getUint16(at + 8, le);
    return v >= 1 && v <= 8 ? v : undefined;
  }
  return undefined;
}

/** Orientation from an APP1 segment payload: "Exif\0\0" followed by TIFF; undefined when it is not EXIF. */
export function app1Orientation(payload: Uint8Array): number | undefined {
  const exif = [0x45, 0x78, 0x69, 0x66, 0, 0];
  if (payload.length < 6 || exif.some((b, i) => payload[i] !== b)) return undefined;
  return tiffOrientation(payload.subarray(6));
}

/** How an orientation is shown to the user: 'EXIF rotate 90°', 'EXIF mirror', ... ('' for 1). */
export function orientationText(o: number): string {
  return ['', '', 'EXIF mirror', 'EXIF rotate 180°', 'EXIF flip vertical', 'EXIF transpose', 'EXIF rotate 90°', 'EXIF transverse', 'EXIF rotate 270°'][o] ?? '';
}
