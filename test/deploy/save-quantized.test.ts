import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { affineRange, float16Bits, quantizeArtifacts } from '../../src/deploy/quantize-artifacts';
import { saveQuantized } from '../../src/deploy/save-quantized';
import { loadModelDirectory, modelDirectoryHandler } from '../../src/node/model-directory';
import { seededRandom } from '../../src/util/seeded-random';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { makeTempDir } from '../node/temp-dir';

/** An in-memory IO handler: keeps what it was given, like tf.io.fromMemory's counterpart. */
function memoryHandler(): { handler: tf.io.IOHandler; artifacts: () => tf.io.ModelArtifacts } {
  let saved: tf.io.ModelArtifacts | undefined;
  return {
    handler: { save: async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) },
    artifacts: () => saved!,
  };
}

function dense(inputs: number, units: number, kernel: number[], bias: number[]): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [inputs], units, name: 'd' })] });
  const ts = [tf.tensor(kernel, [inputs, units]), tf.tensor(bias, [units])];
  model.setWeights(ts);
  tf.dispose(ts);
  return model;
}

/** A half-precision bit pattern's value, from the IEEE 754 definition (independent of the encoder). */
function halfValue(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
  return e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
}

describe('saveQuantized', () => {
  test('uint8: manifest entries and loaded values equal the hand-computed affine quantization', async () => {
    // kernel range [-1, 2]: scale 3/255, zero point 85 (min = -85 * 3/255 = -1).
    // (v - min) / scale = 85 v + 85: -1 -> 0, 0 -> 85, 0.4 -> 119, 2 -> 255, 1.2 -> 187, -0.2 -> 68.
    // bias range [-0.75, 0.25] widened to hold 0 already: scale 1/255, zero point round(191.25) = 191:
    // 0.25 -> round(254.75) = 255, -0.75 -> round(-0.25) = 0.
    const model = dense(3, 2, [-1, 0, 0.4, 2, 1.2, -0.2], [0.25, -0.75]);
    const before = tf.memory().numTensors;
    const { handler, artifacts } = memoryHandler();
    const result = await saveQuantized(model, handler, { dtype: 'uint8', minElements: 0 });
    const specs = artifacts().weightSpecs!;
    expect(specs.map((s) => [s.name, s.dtype, s.quantization?.dtype])).toEqual([
      ['d/kernel', 'float32', 'uint8'],
      ['d/bias', 'float32', 'uint8'],
    ]);
    expect(specs[0].quantization!.scale).toBeCloseTo(3 / 255, 15);
    expect(specs[0].quantization!.min).toBeCloseTo(-1, 15);
    expect(specs[1].quantization!.scale).toBeCloseTo(1 / 255, 15);
    expect(specs[1].quantization!.min).toBeCloseTo(-191 / 255, 15);
    expect(Array.from(new Uint8Array(artifacts().weightData as ArrayBuffer))).toEqual([0, 85, 119, 255, 187, 68, 255, 0]);
    expect(result.weightBytes).toBe(8);
    expect(result.tensors.map((t) => [t.name, t.dtype, t.bytes])).toEqual([
      ['d/kernel', 'uint8', 6],
      ['d/bias', 'uint8', 2],
    ]);

    // Plain TF.js decodes it: q * scale + min, rounded to float32; zero stays exactly zero.
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts()));
    const [k, b] = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    const s0 = specs[0].quantization!;
    const s1 = specs[1].quantization!;
    expect(k).toEqual([0, 85, 119, 255, 187, 68].map((q) => Math.fround(q * s0.scale! + s0.min!)));
    expect(k[1]).toBe(0);
    expect(b).toEqual([255, 0].map((q) => Math.fround(q * s1.scale! + s1.min!)));
    expect(b[0]).toBeCloseTo(64 / 255, 6);
    const y = tf.tidy(() => Array.from((loaded.predict(tf.tensor2d([[1, 2, 3]])) as tf.Tensor).dataSync()));
    expect(y[0]).toBeCloseTo(k[0] + 2 * k[2] + 3 * k[4] + b[0], 5);
    expect(y[1]).toBeCloseTo(k[1] + 2 * k[3] + 3 * k[5] + b[1], 5);
    loaded.dispose();
    // The model is untouched and nothing leaked.
    expect(Array.from(model.getWeights()[0].dataSync())).toEqual([-1, 0, 0.4, 2, 1.2, -0.2].map(Math.fround));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  test('uint16 and uint8 on random weights: error at most half a step, zeros exact, 2 and 1 bytes per value', async () => {
    const random = seededRandom(4);
    const kernel = Array.from({ length: 40 * 10 }, (_, i) => (i % 7 === 0 ? 0 : 3 * random() - 1));
    const model = dense(40, 10, kernel, new Array(10).fill(0.5));
    for (const [dtype, bytes] of [['uint16', 2], ['uint8', 1]] as const) {
      const { handler, artifacts } = memoryHandler();
      const r = await saveQuantized(model, handler, { dtype });
      // The bias (10 values) is under the default minElements (256) and stays float32.
      expect(r.tensors.map((t) => [t.dtype, t.bytes, t.reason])).toEqual([
        [dtype, 400 * bytes, undefined],
        ['float32', 40, 'it has 10 values, fewer than minElements (256)'],
      ]);
      expect(r.weightBytes).toBe(400 * bytes + 40);
      const { scale } = artifacts().weightSpecs![0].quantization!;
      expect(scale).toBeCloseTo((Math.max(...kernel) - Math.min(...kernel)) / (bytes === 2 ? 65535 : 255), 10);
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts()));
      const k = loaded.getWeights()[0].dataSync();
      kernel.forEach((v, i) => {
        expect(Math.abs(k[i] - v)).toBeLessThanOrEqual(scale! / 2 + 1e-6);
        if (v === 0) expect(k[i]).toBe(0);
      });
      expect(Array.from(loaded.getWeights()[1].dataSync())).toEqual(new Array(10).fill(0.5));
      loaded.dispose();
    }
    model.dispose();
  });

  test('float16: each value decodes to the nearest half-precision number (ties to even), subnormals and range ends included', async () => {
    const halves = Array.from({ length: 0x7c00 }, (_, bits) => halfValue(bits)); // every finite non-negative half, increasing
    const nearest = (v: number): number => {
      const a = Math.abs(v);
      let best = 0;
      for (let i = 1; i < halves.length; i++) {
        const d = Math.abs(halves[i] - a) - Math.abs(halves[best] - a);
        if (d < 0 || (d === 0 && i % 2 === 0)) best = i;
      }
      return Math.sign(v) * halves[best];
    };
    const random = seededRandom(16);
    const values = [
      0, 1, -1.5, 65504, -65504, 2 ** -24, 3 * 2 ** -25, 2 ** -26, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 0.1, -3.14159,
      ...Array.from({ length: 300 }, () => (2 * random() - 1) * 10 ** (6 * random() - 4)),
    ].map(Math.fround);
    // Ties: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 (goes to even: 1); 1 + 3*2^-11 goes up to 1 + 2^-9.
    expect(nearest(Math.fround(1 + 2 ** -11))).toBe(1);
    expect(halfValue(float16Bits(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9);
    values.forEach((v) => expect(halfValue(float16Bits(v))).toBe(nearest(v)));

    const model = dense(values.length, 1, values, [0]);
    const { handler, artifacts } = memoryHandler();
    const r = await saveQuantized(model, handler, { dtype: 'float16', minElements: 0 });
    expect(r.weightBytes).toBe(2 * (values.length + 1));
    expect(artifacts().weightSpecs![0].quantization).toEqual({ dtype: 'float16' });
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts()));
    expect(Array.from(loaded.getWeights()[0].dataSync())).toEqual(values.map((v) => Math.fround(nearest(v))));
    loaded.dispose();
    model.dispose();
  });

  test('tensors that cannot be represented stay float32 with the reason; an all-zero tensor stays zero', () => {
    const specs: tf.io.WeightsManifestEntry[] = [
      { name: 'big', shape: [2], dtype: 'float32' },
      { name: 'nan', shape: [2], dtype: 'float32' },
      { name: 'zero', shape: [3], dtype: 'float32' },
      { name: 'ints', shape: [2], dtype: 'int32' },
    ];
    const data = new Uint8Array(9 * 4);
    new Float32Array(data.buffer, 0, 7).set([1e5, 1, NaN, 1, 0, 0, 0]);
    new Int32Array(data.buffer, 28, 2).set([3, -4]);
    const input: tf.io.ModelArtifacts = { modelTopology: {}, weightSpecs: specs, weightData: data.buffer };
    const f16 = quantizeArtifacts(input, { dtype: 'float16', minElements: 0 });
    expect(f16.tensors.map((t) => [t.name, t.dtype, t.reason])).toEqual([
      ['big', 'float32', 'it holds 100000, outside the float16 range (|v| <= 65504)'],
      ['nan', 'float32', 'it holds NaN or infinite values'],
      ['zero', 'float16', undefined],
      ['ints', 'int32', 'integer tensors are stored as they are'],
    ]);
    const u8 = quantizeArtifacts(input, { dtype: 'uint8', minElements: 0 });
    expect(u8.tensors.map((t) => t.dtype)).toEqual(['uint8', 'float32', 'uint8', 'int32']);
    expect(u8.artifacts.weightSpecs![2].quantization).toEqual({ dtype: 'uint8', scale: 1, min: 0 });
    const decoded = tf.io.decodeWeights(u8.artifacts.weightData!, u8.artifacts.weightSpecs!);
    expect(Array.from(decoded.zero.dataSync())).toEqual([0, 0, 0]);
    expect(Array.from(decoded.ints.dataSync())).toEqual([3, -4]);
    // 'big' is fine in uint8: range [0, 1e5], step 1e5/255, so 1 lands on 0 (the nearest grid point).
    expect(Array.from(decoded.big.dataSync())).toEqual([1e5, 0]);
    tf.dispose(Object.values(decoded));
    // The input artifacts are untouched.
    expect(specs.every((s) => s.quantization === undefined)).toBe(true);
    expect(new Float32Array(data.buffer, 0, 1)[0]).toBe(1e5);
  });

  test('affineRange keeps zero on the grid', () => {
    for (const [lo, hi] of [[-0.3, 0.9], [0.2, 0.7], [-5, -1], [-1e-3, 4]]) {
      const { scale, min } = affineRange(lo, hi, 255);
      const zeroPoint = -min / scale;
      expect(Math.abs(zeroPoint - Math.round(zeroPoint))).toBeLessThan(1e-9);
      expect(Math.round(zeroPoint) * scale + min).toBe(0);
      expect(min).toBeLessThanOrEqual(Math.min(0, lo) + scale / 2);
      expect(255 * scale + min).toBeGreaterThanOrEqual(Math.max(0, hi) - scale / 2);
    }
  });

  test('a URL string goes through the registered save router; an unknown scheme is refused', async () => {
    const { handler, artifacts } = memoryHandler();
    tf.io.registerSaveRouter((url) => (typeof url === 'string' && url.startsWith('test-memory://') ? handler : (null as unknown as tf.io.IOHandler)));
    const model = dense(2, 2, [1, 2, 3, 4], [0, 0]);
    await saveQuantized(model, 'test-memory://m', { dtype: 'float16', minElements: 0 });
    expect(artifacts().weightSpecs!.map((s) => s.quantization?.dtype)).toEqual(['float16', 'float16']);
    await expectPruneErrorAsync(() => saveQuantized(model, 'nowhere://m', { dtype: 'uint8' }), 'INVALID_OPTION', "no TF.js save handler is registered for 'nowhere://m'", 'modelDirectoryHandler');
    model.dispose();
  });

  test('bad options are refused before any work', async () => {
    const model = dense(2, 1, [1, 2], [0]);
    const { handler, artifacts } = memoryHandler();
    await expectPruneErrorAsync(() => saveQuantized(model, handler, { dtype: 'int4' as 'uint8' }), 'INVALID_OPTION', "dtype must be one of 'float32', 'float16', 'uint16', 'uint8'");
    await expectPruneErrorAsync(() => saveQuantized(model, handler, { dtype: 'uint8', minElements: -1 }), 'INVALID_OPTION', 'minElements must be an integer >= 0');
    await expectPruneErrorAsync(() => saveQuantized(model, {} as tf.io.IOHandler, { dtype: 'uint8' }), 'INVALID_OPTION', 'IOHandler with a save() method');
    await expectPruneErrorAsync(() => saveQuantized({} as tf.LayersModel, handler, { dtype: 'uint8' }), 'NOT_A_LAYERS_MODEL');
    expect(artifacts()).toBeUndefined();
    model.dispose();
  });

  test('Node: modelDirectoryHandler writes model.json + weights.bin that tf.loadLayersModel and loadModelDirectory read', async () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 8, kernelSize: 3, name: 'c' }),
          tf.layers.separableConv2d({ filters: 8, kernelSize: 3, depthMultiplier: 2, name: 's' }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3, name: 'd' }),
        ],
      });
      const before = tf.memory().numTensors;
      const r = await saveQuantized(model, modelDirectoryHandler(dir), { dtype: 'uint8', minElements: 90 });
      expect(fs.statSync(path.join(dir, 'weights.bin')).size).toBe(r.weightBytes);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).weightsManifest[0].weights as tf.io.WeightsManifestEntry[];
      expect(manifest.map((w) => w.quantization?.dtype ?? w.dtype)).toEqual(r.tensors.map((t) => t.dtype));
      // c/kernel 144, s/depthwise_kernel 144, s/pointwise_kernel 128, d/kernel 96 quantized; biases (8, 8, 3) kept.
      expect(r.tensors.map((t) => t.dtype)).toEqual(['uint8', 'float32', 'uint8', 'uint8', 'float32', 'uint8', 'float32']);
      expect(r.weightBytes).toBe(144 + 144 + 128 + 96 + 4 * (8 + 8 + 3));
      const a = await tf.loadLayersModel(modelDirectoryHandler(dir));
      const b = await loadModelDirectory(dir);
      const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 3);
      tf.tidy(() => {
        const ya = (a.predict(x) as tf.Tensor).dataSync();
        const yb = (b.predict(x) as tf.Tensor).dataSync();
        expect(Array.from(ya)).toEqual(Array.from(yb));
        // Each weight within half a quantization step of the original.
        a.getWeights().forEach((w, i) => {
          const original = model.getWeights()[i].dataSync();
          const step = (manifest[i].quantization?.scale ?? 0) / 2 + 1e-7;
          w.dataSync().forEach((v, j) => expect(Math.abs(v - original[j])).toBeLessThanOrEqual(step));
        });
      });
      x.dispose();
      a.dispose();
      b.dispose();
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    } finally {
      cleanup();
    }
  });
});
