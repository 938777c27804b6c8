import * as tf from '@tensorflow/tfjs';

/**
 * The sufficient statistics of a least-squares problem `min ||Y - [X 1] W||²`, accumulated batch
 * by batch in float64 without ever holding the whole `X`: `G = [X 1]'[X 1]` (the ones column last
 * when `withBias`), `C = [X 1]' Y`, and the per-column sums of `Y²`.
 */
export class NormalEquations {
  /** Unknowns per output: the design's columns, plus one for the bias. */
  readonly n: number;
  readonly g: Float64Array;
  readonly c: Float64Array;
  readonly yy: Float64Array;
  readonly ySum: Float64Array;
  rows = 0;

  constructor(
    readonly columns: number,
    readonly outputs: number,
    readonly withBias: boolean,
  ) {
    this.n = columns + (withBias ? 1 : 0);
    this.g = new Float64Array(this.n * this.n);
    this.c = new Float64Array(this.n * outputs);
    this.yy = new Float64Array(outputs);
    this.ySum = new Float64Array(outputs);
  }

  /** Adds the rows of `x` (`[rows, columns]`) and `y` (`[rows, outputs]`; omit for `G` alone). */
  add(x: tf.Tensor2D, y?: tf.Tensor2D): void {
    const [g, c, yy, ys] = tf.tidy(() => {
      const a = this.withBias ? tf.concat([x, tf.ones([x.shape[0], 1])], 1) : x;
      // An explicit transpose: wasm's matMul with transposeA takes a slow path (16x slower for a 4096 x 1152 Gram).
      const at = a.transpose();
      const gram = tf.matMul(at, a);
      if (!y) return [gram];
      return [gram, tf.matMul(at, y), y.square().sum(0), y.sum(0)];
    });
    try {
      addInto(this.g, g.dataSync());
      if (c) addInto(this.c, c.dataSync());
      if (yy) addInto(this.yy, yy.dataSync());
      if (ys) addInto(this.ySum, ys.dataSync());
    } finally {
      tf.dispose([g, c, yy, ys]);
    }
    this.rows += x.shape[0];
  }

  /** `||Y - [X 1] W||²` summed over outputs, for `W` (`n × outputs`, row-major float64). */
  squaredError(w: Float64Array): number {
    const { n, outputs: m, g, c } = this;
    let total = 0;
    for (let o = 0; o < m; o++) {
      let cross = 0;
      let quad = 0;
      for (let i = 0; i < n; i++) {
        const wi = w[i * m + o];
        if (wi === 0) continue;
        cross += wi * c[i * m + o];
        let gw = 0;
        for (let j = 0; j < n; j++) gw += g[i * n + j] * w[j * m + o];
        quad += wi * gw;
      }
      total += this.yy[o] - 2 * cross + quad;
    }
    return Math.max(total, 0);
  }

  /** `sum over outputs of ||Y - mean(Y)||²` (the error of the best constant). */
  totalVariation(): number {
    let t = 0;
    for (let o = 0; o < this.outputs; o++) t += this.yy[o] - (this.rows > 0 ? (this.ySum[o] * this.ySum[o]) / this.rows : 0);
    return Math.max(t, 0);
  }

  /** Mean of the diagonal of `X'X` (the ones column excluded). */
  meanDiagonal(): number {
    let s = 0;
    for (let i = 0; i < this.columns; i++) s += this.g[i * this.n + i];
    return this.columns > 0 ? s / this.columns : 0;
  }
}

function addInto(target: Float64Array, values: ArrayLike<number>): void {
  for (let i = 0; i < target.length; i++) target[i] += values[i];
}
