import type * as tf from '@tensorflow/tfjs';

/** Bytes per stored element of each weight dtype (quantized weights use the quantization dtype). */
const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/**
 * Copies weight data (one buffer or shards) into one new ArrayBuffer that nothing else refers
 * to, so the caller owns it and later writes to the source cannot change it.
 *
 * @example
 * ```ts
 * const mine = copyWeightData(artifacts.weightData!); // an ArrayBuffer of all shards, in order
 * ```
 */
export function copyWeightData(data: tf.io.WeightData): ArrayBuffer {
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(new Uint8Array(part), offset);
    offset += part.byteLength;
  }
  return out.buffer;
}

/**
 * Total byte length of weight data (one buffer or shards).
 *
 * @example
 * ```ts
 * weightDataByteLength([new ArrayBuffer(8), new ArrayBuffer(4)]); // 12
 * ```
 */
export function weightDataByteLength(data: tf.io.WeightData): number {
  return Array.isArray(data) ? data.reduce((sum, part) => sum + part.byteLength, 0) : data.byteLength;
}

/**
 * How many bytes of weight data `specs` describe, or `undefined` when that cannot be known
 * without reading the data (string weights store their own lengths).
 *
 * @example
 * ```ts
 * expectedWeightBytes([{ name: 'd/kernel', shape: [3, 2], dtype: 'float32' }]); // 24
 * ```
 */
export function expectedWeightBytes(specs: readonly tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const size = BYTES_PER_ELEMENT[dtype];
    if (size === undefined || !Array.isArray(spec.shape)) return undefined;
    total += size * spec.shape.reduce((n, d) => n * d, 1);
  }
  return total;
}

/**
 * Whether `value` is an ArrayBuffer, from this realm or another one (a worker, a vm context, Node's
 * own buffers under jest), where `instanceof ArrayBuffer` would say no.
 *
 * @example
 * ```ts
 * isArrayBuffer(new Float32Array(2).buffer); // true
 * ```
 */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  return Object.prototype.toString.call(value) === '[object ArrayBuffer]';
}
