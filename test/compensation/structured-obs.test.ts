import { structuredObs, type ObsLayer } from '../../src/compensation/structured-obs';
import { cholesky, choleskySolve } from '../../src/compensation/cholesky';
import { seededRandom } from '../../src/util/seeded-random';

/** X (rows × cols) with a ones column appended when `bias`, and its Gram matrix. */
function design(rows: number, cols: number, seed: number, bias: boolean, mix?: (row: Float64Array) => void): { gram: Float64Array; n: number } {
  const r = seededRandom(seed);
  const n = cols + (bias ? 1 : 0);
  const gram = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let k = 0; k < rows; k++) {
    for (let j = 0; j < cols; j++) row[j] = r() * 2 - 1;
    mix?.(row);
    if (bias) row[cols] = 1;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) gram[i * n + j] += row[i] * row[j];
  }
  return { gram, n };
}

/** Squared output error of dropping the columns `drop` and refitting the others by exact least squares. */
function bruteForce(gram: Float64Array, n: number, w: Float64Array, m: number, drop: Set<number>): number {
  const keep = Array.from({ length: n }, (_, i) => i).filter((i) => !drop.has(i));
  const k = keep.length;
  // Target Y = X W: the refit solves H_KK V = H_K: W, error = tr(W'HW) - tr(V' H_KK V).
  const hkk = new Float64Array(k * k);
  keep.forEach((a, i) => keep.forEach((b, j) => (hkk[i * k + j] = gram[a * n + b])));
  const rhs = new Float64Array(k * m);
  keep.forEach((a, i) => {
    for (let o = 0; o < m; o++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += gram[a * n + j] * w[j * m + o];
      rhs[i * m + o] = s;
    }
  });
  const v = choleskySolve(cholesky(hkk, k)!, k, rhs, m);
  let total = 0;
  for (let o = 0; o < m; o++) {
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) total += w[i * m + o] * gram[i * n + j] * w[j * m + o];
    for (let i = 0; i < k; i++) total -= v[i * m + o] * rhs[i * m + o];
  }
  return total;
}

function energy(gram: Float64Array, n: number, w: Float64Array, m: number): number {
  let e = 0;
  for (let o = 0; o < m; o++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) e += w[i * m + o] * gram[i * n + j] * w[j * m + o];
  return e;
}

const randomWeights = (n: number, m: number, seed: number): Float64Array => {
  const r = seededRandom(seed);
  return Float64Array.from({ length: n * m }, () => r() * 2 - 1);
};

describe('structuredObs', () => {
  test('uncorrelated inputs, no bias: the order and the cumulative costs are W_j² H_jj, by hand', () => {
    const n = 4;
    const m = 2;
    const gram = new Float64Array(n * n);
    [4, 1, 9, 0.25].forEach((h, j) => (gram[j * n + j] = h));
    const w = Float64Array.from([1, 0, 0.5, 0.5, 0.1, 0.2, 2, 0]);
    // Cost of channel j: H_jj * (w_j0² + w_j1²): 4, 0.5, 0.45, 1; energy 5.95.
    const layer: ObsLayer = { size: n, outputs: m, gram, weights: w, channels: Int32Array.from([0, 1, 2, 3]), bias: false };
    const scores = structuredObs([layer], 4, { damping: 0, steps: 3 });
    const e = 5.95;
    expect(scores[2]).toBeCloseTo(0.45 / e, 12);
    expect(scores[1]).toBeCloseTo((0.45 + 0.5) / e, 12);
    expect(scores[3]).toBeCloseTo((0.45 + 0.5 + 1) / e, 12);
    expect(scores[0]).toBeCloseTo((0.45 + 0.5 + 1 + 4) / e, 12);
  });

  test('correlated inputs with a bias: each greedy removal costs what an exact refit of the rest leaves', () => {
    const cols = 6;
    const m = 3;
    // Column 5 is nearly 0.5 * (col 0 + col 1): cheap to remove once the others are refit.
    const { gram, n } = design(200, cols, 7, true, (row) => (row[5] = 0.5 * (row[0] + row[1]) + 0.01 * row[5]));
    const w = randomWeights(n, m, 8);
    const channels = Int32Array.from([0, 0, 1, 2, 3, 4, -1]); // channel 0 owns two columns; the bias is -1
    const layer: ObsLayer = { size: n, outputs: m, gram, weights: w, channels, bias: true };
    const scores = structuredObs([layer], 5, { damping: 0, steps: 4 });
    const e = energy(gram, n, w, m);
    const order = Array.from(scores.keys()).sort((a, b) => scores[a] - scores[b]);
    const colsOf = (c: number): number[] => Array.from(channels.keys()).filter((j) => channels[j] === c);
    // The cumulative score after k removals equals the brute-force error of dropping those k channels together.
    const dropped = new Set<number>();
    order.slice(0, 4).forEach((c) => {
      colsOf(c).forEach((j) => dropped.add(j));
      expect(scores[c]).toBeCloseTo(bruteForce(gram, n, w, m, dropped) / e, 8);
    });
    // The first removal is the cheapest single one, by brute force.
    const single = [0, 1, 2, 3, 4].map((c) => bruteForce(gram, n, w, m, new Set(colsOf(c))));
    expect(order[0]).toBe(single.indexOf(Math.min(...single)));
    expect(order[0]).toBe(4);
  });

  test('two layers reading the group add their relative errors', () => {
    const { gram, n } = design(100, 3, 3, false);
    const w1 = randomWeights(n, 2, 4);
    const w2 = randomWeights(n, 2, 5);
    const channels = Int32Array.from([0, 1, 2]);
    const a: ObsLayer = { size: n, outputs: 2, gram, weights: w1, channels, bias: false };
    const b: ObsLayer = { size: n, outputs: 2, gram, weights: w2, channels, bias: false };
    const both = structuredObs([a, b], 3, { damping: 0, steps: 1 });
    const first = Array.from(both.keys()).sort((x, y) => both[x] - both[y])[0];
    const expected = bruteForce(gram, n, w1, 2, new Set([first])) / energy(gram, n, w1, 2) + bruteForce(gram, n, w2, 2, new Set([first])) / energy(gram, n, w2, 2);
    expect(both[first]).toBeCloseTo(expected, 8);
  });
});
