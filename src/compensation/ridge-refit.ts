import { cholesky, choleskySolve } from './cholesky';
import type { NormalEquations } from './normal-equations';

/** The solution of {@link ridgeRefit}: new weights and the damping that made the system solvable. */
export interface RidgeSolution {
  /** `n × outputs` row-major: kernel rows, then the bias row when the problem has one. */
  readonly w: Float64Array;
  readonly lambda: number;
}

/**
 * Solves the damped least-squares problem `min ||Y - [X 1] W||² + lambda ||D (W - W0)||²` by
 * Cholesky, where `D` selects the kernel rows (the bias is not damped) and
 * `lambda = damping × mean(diag(X'X))`. Damping toward the current weights `W0` rather than toward
 * zero keeps the directions the calibration samples do not excite as they were (a plain
 * `lambda ||W||²` would shrink them). When the system is not numerically positive definite the
 * damping is multiplied by 10, up to 6 times; null when it still fails.
 */
export function ridgeRefit(eq: NormalEquations, w0: Float64Array, damping: number): RidgeSolution | null {
  const { n, outputs: m, columns } = eq;
  const scale = eq.meanDiagonal() || 1;
  let d = damping;
  for (let attempt = 0; attempt < 7; attempt++, d = d > 0 ? d * 10 : 1e-8) {
    const lambda = d * scale;
    const a = Float64Array.from(eq.g);
    const b = Float64Array.from(eq.c);
    for (let i = 0; i < columns; i++) {
      a[i * n + i] += lambda;
      for (let o = 0; o < m; o++) b[i * m + o] += lambda * w0[i * m + o];
    }
    const l = cholesky(a, n);
    if (l === null) continue;
    const w = choleskySolve(l, n, b, m);
    if (w.every(Number.isFinite)) return { w, lambda };
  }
  return null;
}
