/**
 * Cholesky factorisation of a symmetric positive definite `n × n` matrix (row-major float64), in
 * place into a new array: returns the lower factor `L` (`A = L L'`), or null when `A` is not
 * numerically positive definite.
 */
export function cholesky(a: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let d = a[rowJ + j];
    for (let k = 0; k < j; k++) d -= l[rowJ + k] * l[rowJ + k];
    if (!(d > 0) || !Number.isFinite(d)) return null;
    const ljj = Math.sqrt(d);
    l[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = a[rowI + j];
      for (let k = 0; k < j; k++) s -= l[rowI + k] * l[rowJ + k];
      l[rowI + j] = s / ljj;
    }
  }
  return l;
}

/** Solves `L L' X = B` for `X` (`B`: `n × m` row-major), given the lower factor from {@link cholesky}. */
export function choleskySolve(l: Float64Array, n: number, b: Float64Array, m: number): Float64Array {
  const x = Float64Array.from(b);
  // Forward: L Z = B.
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let k = 0; k < i; k++) {
      const f = l[rowI + k];
      if (f === 0) continue;
      for (let c = 0; c < m; c++) x[i * m + c] -= f * x[k * m + c];
    }
    const d = l[rowI + i];
    for (let c = 0; c < m; c++) x[i * m + c] /= d;
  }
  // Backward: L' X = Z.
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const f = l[k * n + i];
      if (f === 0) continue;
      for (let c = 0; c < m; c++) x[i * m + c] -= f * x[k * m + c];
    }
    const d = l[i * n + i];
    for (let c = 0; c < m; c++) x[i * m + c] /= d;
  }
  return x;
}

/** The inverse of `A = L L'` (symmetric, `n × n` row-major) from its lower Cholesky factor. */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  // inv(L) by forward substitution, then inv(A) = inv(L)' inv(L).
  const li = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    li[j * n + j] = 1 / l[j * n + j];
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * n + k] * li[k * n + j];
      li[i * n + j] = s / l[i * n + i];
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i] * li[k * n + j];
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}
