import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { prune } from '../../src';
import { uniformTensor } from '../helpers/uniform-tensor';
import { randomRemovals } from '../helpers/random-removals';
import { architecture, buildFunctional, functionalStep, INPUT_SHAPE, roundTrips } from '../helpers/random-architecture';
import { snapshotWeights } from '../helpers/check-invariant';
import { cloneModel } from '../helpers/clone-model';

jest.setTimeout(120000);


/** Solves the symmetric system A x = b (n × n, n × m) by Gaussian elimination with partial pivoting, in float64. */
function solve(a: number[][], b: number[][]): number[][] {
  const n = a.length;
  const m = b[0].length;
  const A = a.map((row, i) => [...row, ...b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = A[r][c] / A[c][c];
      for (let k = c; k < n + m; k++) A[r][k] -= f * A[c][k];
    }
  }
  return A.map((row, i) => row.slice(n).map((v) => v / A[i][i]));
}

describe('compensation against independent computations', () => {
  test('a conv consumer refit equals the closed-form least-squares solution built by hand (3x3 patches, same padding)', async () => {
    const input = tf.input({ shape: [5, 5, 2] });
    const c1 = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1' });
    const c2 = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', name: 'c2' });
    const head = tf.layers.dense({ units: 2, name: 'head' });
    const model = tf.model({ inputs: input, outputs: head.apply(tf.layers.flatten().apply(c2.apply(c1.apply(input)))) as tf.SymbolicTensor });
    const x = uniformTensor([12, 5, 5, 2], 11);
    // Damping 0 (given): the plain least-squares solution, which is unique here (300 rows, 19 unknowns).
    const fixed = await prune(model, { c1: [1] }, { compensate: { data: { x }, damping: 0 } });

    // By hand: X = patches of c1's kept outputs (channels 0 and 2), Y = the original c2's output.
    const z = tf.tidy(() => c1.apply(x) as tf.Tensor).arraySync() as number[][][][];
    const y = tf.tidy(() => c2.apply(c1.apply(x)) as tf.Tensor).arraySync() as number[][][][];
    const kept = [0, 2];
    const rows: number[][] = [];
    const targets: number[][] = [];
    for (let n = 0; n < 12; n++) {
      for (let i = 0; i < 5; i++) {
        for (let j = 0; j < 5; j++) {
          const row: number[] = [];
          for (let di = -1; di <= 1; di++) {
            for (let dj = -1; dj <= 1; dj++) {
              for (const c of kept) row.push(i + di >= 0 && i + di < 5 && j + dj >= 0 && j + dj < 5 ? z[n][i + di][j + dj][c] : 0);
            }
          }
          row.push(1);
          rows.push(row);
          targets.push(y[n][i][j]);
        }
      }
    }
    const cols = rows[0].length;
    const xtx = Array.from({ length: cols }, (_, a) => Array.from({ length: cols }, (_, b) => rows.reduce((s, r) => s + r[a] * r[b], 0)));
    const xty = Array.from({ length: cols }, (_, a) => [0, 1].map((o) => rows.reduce((s, r, k) => s + r[a] * targets[k][o], 0)));
    const w = solve(xtx, xty);
    const [kernel, bias] = fixed.getLayer('c2').getWeights().map((t) => Array.from(t.dataSync()));
    // The kernel is [3, 3, 2, 2]: row-major (kh, kw, cin, out), the patch order above.
    for (let r = 0; r < cols - 1; r++) for (let o = 0; o < 2; o++) expect(Math.abs(kernel[r * 2 + o] - w[r][o])).toBeLessThan(1e-4);
    for (let o = 0; o < 2; o++) expect(Math.abs(bias[o] - w[cols - 1][o])).toBeLessThan(1e-4);
    fixed.dispose();
    x.dispose();
    model.dispose();
  });

  test('a Conv2DTranspose consumer recovers exactly a removed filter that duplicates another', async () => {
    const input = tf.input({ shape: [4, 4, 2] });
    const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1' });
    const up = tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', name: 'up', activation: 'relu' });
    const model = tf.model({ inputs: input, outputs: up.apply(c1.apply(input)) as tf.SymbolicTensor });
    tf.tidy(() => {
      const k = uniformTensor([3, 3, 2, 4], 21).arraySync() as number[][][][];
      k.forEach((a) => a.forEach((b) => b.forEach((c) => (c[3] = c[1]))));
      c1.setWeights([tf.tensor4d(k), tf.tensor1d([0.1, 0.2, -0.1, 0.2])]);
    });
    const x = uniformTensor([16, 4, 4, 2], 22);
    const plain = prune(model, { c1: [3] });
    const fixed = await prune(model, { c1: [3] }, { compensate: { data: { x }, damping: 1e-9 } });
    const err = (m: tf.LayersModel): number => tf.tidy(() => (m.predict(x) as tf.Tensor).sub(model.predict(x) as tf.Tensor).abs().max().dataSync()[0]);
    expect(err(plain)).toBeGreaterThan(0.05);
    expect(err(fixed)).toBeLessThan(1e-4);
    // By hand: the kept copy (input channel 1 of 'up') now carries both copies' weights.
    const k0 = model.getLayer('up').getWeights()[0].arraySync() as number[][][][]; // [kh, kw, out, in]
    const k1 = fixed.getLayer('up').getWeights()[0].arraySync() as number[][][][];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let o = 0; o < 2; o++) expect(k1[a][b][o][1]).toBeCloseTo(k0[a][b][o][1] + k0[a][b][o][3], 3);
    [plain, fixed, model].forEach((m) => m.dispose());
    x.dispose();
  });

  test('removing nothing leaves the outputs unchanged', async () => {
    const model = buildFunctional({
      steps: [
        { op: 'conv', filters: 4, kernel: 3, bias: true, activation: 'relu' },
        { op: 'bn', scale: true, center: true },
        { op: 'conv', filters: 3, kernel: 3, bias: true, activation: 'linear' },
      ],
      head: 'flatten',
      hidden: 3,
    });
    const x = uniformTensor([8, ...INPUT_SHAPE], 3);
    const same = await prune(model, {}, { compensate: { data: { x } } });
    const [a, b] = tf.tidy(() => [model.predict(x) as tf.Tensor, same.predict(x) as tf.Tensor].map((t) => Array.from(t.dataSync())));
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
    same.dispose();
    x.dispose();
    model.dispose();
  });

  test('property: with compensation, random prunes of random architectures keep the structure of plain surgery, round-trip, and touch nothing', async () => {
    await fc.assert(
      fc.asyncProperty(architecture(functionalStep), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: 0.1, max: 0.8, noNaN: true }), async (arch, seed, fraction) => {
        const start = tf.memory().numTensors;
        const model = buildFunctional(arch);
        const x = uniformTensor([24, ...INPUT_SHAPE], seed % 1000);
        try {
          const before = snapshotWeights(model);
          const removals = randomRemovals(model, seed, fraction);
          const plain = prune(model, removals);
          const fixed = await prune(model, removals, { compensate: { data: { x }, damping: 0.05 } });
          // Same architecture as plain surgery: layer for layer, weight shapes.
          expect(fixed.layers.map((l) => l.name)).toEqual(plain.layers.map((l) => l.name));
          expect(fixed.weights.map((w) => w.shape)).toEqual(plain.weights.map((w) => w.shape));
          const out = tf.tidy(() => (fixed.predict(x) as tf.Tensor).dataSync());
          expect(out.every(Number.isFinite)).toBe(true);
          if (roundTrips(arch)) {
            const copy = await cloneModel(fixed);
            const again = tf.tidy(() => (copy.predict(x) as tf.Tensor).dataSync());
            again.forEach((v, i) => expect(Math.abs(v - out[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(out[i]))));
            copy.dispose();
          }
          snapshotWeights(model).forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(before[i])));
          plain.dispose();
          fixed.dispose();
        } finally {
          x.dispose();
          model.dispose();
        }
        expect(tf.memory().numTensors).toBe(start);
      }),
      { numRuns: 25, seed: 20261206 },
    );
  });
});
