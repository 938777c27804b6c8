import type * as tf from '@tensorflow/tfjs';
import { copyWeightData, isArrayBuffer } from '../checkpoint/weight-data';
import { PruneError } from '../errors';

/**
 * How weights are stored: `'float32'` (as `model.save` does), or 16 or 8 bits per value in the
 * TF.js weights-manifest quantization format that `tf.loadLayersModel` decodes on load:
 * `'float16'` (half precision), `'uint16'` and `'uint8'` (affine: `value = q * scale + min`,
 * per tensor, with zero exactly representable).
 *
 * @example
 * ```ts
 * const dtype: StorageDtype = 'uint8'; // a quarter of the float32 bytes
 * ```
 */
export type StorageDtype = 'float32' | 'float16' | 'uint16' | 'uint8';

/**
 * How one weight tensor was stored by {@link saveQuantized}.
 *
 * @example
 * ```ts
 * const { tensors } = await saveQuantized(model, 'indexeddb://pruned', { dtype: 'uint8' });
 * const kept: StoredTensor[] = tensors.filter((t) => t.dtype === 'float32'); // each with its reason
 * ```
 */
export interface StoredTensor {
  /** The weight's name in the manifest (e.g. `conv2d_1/kernel`). */
  name: string;
  shape: number[];
  /** How it is stored: the requested dtype, or `'float32'`/`'int32'` when it was kept as is. */
  dtype: StorageDtype | 'int32';
  /** Bytes it takes in the weights file. */
  bytes: number;
  /** For `uint8`/`uint16`: `value = q * scale + min`. */
  scale?: number;
  min?: number;
  /** Why it was kept at full precision (too small, an integer tensor, non-finite values, out of float16 range). */
  reason?: string;
}

/** Options of the quantization itself (validated by the caller). */
export interface QuantizeSettings {
  dtype: StorageDtype;
  /** Tensors with fewer elements stay float32. */
  minElements: number;
}

const BYTES: Record<StorageDtype, number> = { float32: 4, float16: 2, uint16: 2, uint8: 1 };
const QMAX = { uint8: 255, uint16: 65535 } as const;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The IEEE half-precision bits nearest to a float32 value (ties to even; overflow gives infinity). */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = h * 2^-24.
    if (e < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - e;
    let h = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rest > half || (rest === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/**
 * The affine range TF.js's converter uses: [lo, hi] widened to hold 0, then nudged so 0 is a
 * grid point (`min = -zeroPoint * scale`), so zeros (pruned or padded weights) stay exact.
 */
export function affineRange(lo: number, hi: number, qmax: number): { scale: number; min: number } {
  const a = Math.min(0, lo);
  const b = Math.max(0, hi);
  if (a === b) return { scale: 1, min: 0 };
  const scale = (b - a) / qmax;
  const zeroPoint = Math.round(-a / scale);
  return { scale, min: -zeroPoint * scale };
}

/** Why a float32 tensor cannot be stored at `dtype`, or null. */
function refusal(values: Float32Array, dtype: StorageDtype): string | null {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) return 'it holds NaN or infinite values';
    if (dtype === 'float16' && Math.abs(v) > 65504) return `it holds ${v}, outside the float16 range (|v| <= 65504)`;
  }
  return null;
}

/** Encodes one float32 tensor at `dtype`: the bytes and the manifest's quantization entry. */
function encode(values: Float32Array, dtype: Exclude<StorageDtype, 'float32'>): { bytes: Uint8Array; quantization: NonNullable<tf.io.WeightsManifestEntry['quantization']> } {
  if (dtype === 'float16') {
    const out = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = float16Bits(values[i]);
    return { bytes: new Uint8Array(out.buffer), quantization: { dtype } };
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  const qmax = QMAX[dtype];
  const { scale, min } = affineRange(lo, hi, qmax);
  const out = dtype === 'uint8' ? new Uint8Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(qmax, Math.max(0, Math.round((values[i] - min) / scale)));
  return { bytes: new Uint8Array(out.buffer), quantization: { dtype, scale, min } };
}

/**
 * Re-encodes the float32 weights of model artifacts at `settings.dtype` (new artifacts; the input
 * is only read). Other dtypes, tensors smaller than `minElements` and tensors that cannot be
 * represented (non-finite values, out of float16 range) stay as they are, with the reason.
 */
export function quantizeArtifacts(artifacts: tf.io.ModelArtifacts, settings: QuantizeSettings): { artifacts: tf.io.ModelArtifacts; tensors: StoredTensor[] } {
  const specs = artifacts.weightSpecs ?? [];
  const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : isArrayBuffer(artifacts.weightData) ? artifacts.weightData : copyWeightData(artifacts.weightData);
  const parts: Uint8Array[] = [];
  const newSpecs: tf.io.WeightsManifestEntry[] = [];
  const tensors: StoredTensor[] = [];
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((n, d) => n * d, 1);
    if (spec.quantization !== undefined || (spec.dtype !== 'float32' && spec.dtype !== 'int32')) {
      throw new PruneError('INTERNAL', `quantizeArtifacts: weight '${spec.name}' is ${spec.quantization ? `already quantized (${spec.quantization.dtype})` : spec.dtype}; expected float32 or int32 weights as model.save writes them.`);
    }
    const raw = new Uint8Array(data, offset, size * 4);
    offset += size * 4;
    const keep = (reason?: string): void => {
      parts.push(raw);
      newSpecs.push({ ...spec });
      tensors.push({ name: spec.name, shape: [...spec.shape], dtype: spec.dtype as 'float32' | 'int32', bytes: raw.byteLength, ...(reason ? { reason } : {}) });
    };
    if (settings.dtype === 'float32') {
      keep();
      continue;
    }
    if (spec.dtype !== 'float32') {
      keep('integer tensors are stored as they are');
      continue;
    }
    if (size < settings.minElements) {
      keep(`it has ${size} values, fewer than minElements (${settings.minElements})`);
      continue;
    }
    const values = new Float32Array(raw.slice().buffer);
    const refused = refusal(values, settings.dtype);
    if (refused !== null) {
      keep(refused);
      continue;
    }
    const { bytes, quantization } = encode(values, settings.dtype);
    parts.push(bytes);
    newSpecs.push({ ...spec, quantization });
    tensors.push({
      name: spec.name,
      shape: [...spec.shape],
      dtype: settings.dtype,
      bytes: size * BYTES[settings.dtype],
      ...(quantization.scale !== undefined ? { scale: quantization.scale, min: quantization.min } : {}),
    });
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const weightData = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    weightData.set(p, at);
    at += p.byteLength;
  }
  const { weightData: _data, weightSpecs: _specs, ...rest } = artifacts;
  return { artifacts: { ...rest, weightSpecs: newSpecs, weightData: weightData.buffer }, tensors };
}
