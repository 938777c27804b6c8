import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Plain values of a tensor, kept off any backend so both backends can be fed the same data. */
export interface HostTensor {
  values: Float32Array;
  shape: number[];
}

/** Deterministic values in [-1, 1) from a small linear congruential generator. */
export function seeded(shape: number[], seed: number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    values[i] = s / 2 ** 31 - 1;
  }
  return { values, shape };
}

export const toTensor = (h: HostTensor): tf.Tensor => tf.tensor(h.values, h.shape);
export const toHost = (t: tf.Tensor): HostTensor => ({ values: Float32Array.from(t.dataSync()), shape: t.shape.slice() });

/**
 * Runs `f` with `backend` active, then restores the suite's backend (wasm or cpu, see
 * test/setup-backend.ts). Asserts that `f` left no tensor behind.
 */
export async function onBackend<T>(backend: 'cpu' | 'wasm', f: () => T | Promise<T>): Promise<T> {
  const suite = tf.getBackend();
  await tf.setBackend(backend);
  try {
    const before = tf.memory().numTensors;
    const result = await f();
    expect(tf.memory().numTensors).toBe(before);
    return result;
  } finally {
    await tf.setBackend(suite);
  }
}

/** The wasm backend instance (initialised by a previous `tf.setBackend('wasm')`). */
export const wasmBackend = (): BackendWasm => tf.findBackend('wasm') as BackendWasm;

/**
 * Asserts same shapes and `max|actual - expected| <= rtol * max|expected| + atol` for each pair
 * (float32 sums in another order differ in the last bits, hence a tolerance relative to scale).
 */
export function expectAllClose(actual: HostTensor[], expected: HostTensor[], rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, k) => {
    const e = expected[k];
    expect(a.shape).toEqual(e.shape);
    let scale = 0;
    let err = 0;
    for (let i = 0; i < e.values.length; i++) {
      scale = Math.max(scale, Math.abs(e.values[i]));
      err = Math.max(err, Math.abs(a.values[i] - e.values[i]));
    }
    if (!(err <= rtol * scale + atol)) {
      throw new Error(`output ${k}: max error ${err} > ${rtol} * ${scale} + ${atol}`);
    }
  });
}

/**
 * Builds a compiled model on `backend`, runs one `trainOnBatch` on (x, y) and returns the weights
 * before and after (trainable and non-trainable) and the loss; disposes everything it made.
 */
export async function trainOneStep(
  backend: 'cpu' | 'wasm',
  buildModel: () => tf.LayersModel,
  x: HostTensor,
  y: HostTensor,
): Promise<{ before: HostTensor[]; after: HostTensor[]; loss: number }> {
  return onBackend(backend, async () => {
    const model = buildModel();
    const [xt, yt] = [x, y].map(toTensor);
    const before = model.getWeights().map(toHost);
    const loss = (await model.trainOnBatch(xt, yt)) as number;
    const after = model.getWeights().map(toHost);
    tf.dispose([xt, yt]);
    model.optimizer.dispose();
    model.dispose();
    return { before, after, loss };
  });
}
