import { cholesky, choleskyInverse } from './cholesky';

/** One layer that reads a group, as structured OBS sees it. */
export interface ObsLayer {
  /** Unknowns per output (columns, bias last if any). */
  readonly size: number;
  readonly outputs: number;
  /** `H = [X 1]'[X 1]`, `size × size` row-major. */
  readonly gram: Float64Array;
  /** `size × outputs` row-major weights (kernel rows, then the bias row). */
  readonly weights: Float64Array;
  /** Per column: the group channel it carries, or -1. */
  readonly channels: Int32Array;
  /** Whether the last unknown is the bias (a column of ones, not damped). */
  readonly bias: boolean;
}

/** Options of {@link structuredObs}. */
export interface StructuredObsOptions {
  /** Ridge damping of `H`, relative to the mean of its diagonal (bias excluded). */
  readonly damping: number;
  /** How many channels to remove greedily (at most `channels - 1`); the rest are scored at that point. */
  readonly steps: number;
  /** A fixed cost per channel added to every round's (e.g. from layers seen only through their diagonal). */
  readonly extra?: Float64Array;
}

interface LayerState {
  n: number;
  m: number;
  hinv: Float64Array;
  w: Float64Array;
  /** Columns of each group channel in this layer. */
  blocks: Int32Array[];
  /** Output energy `tr(W' H W)`: errors are relative to it. */
  energy: number;
  /** Columns not removed yet (the rows and columns of `Hinv` still non-zero). */
  active: Int32Array;
}

/**
 * Greedy structured Optimal Brain Surgeon over the channels of one group (Optimal Brain
 * Compression, Frantar & Alistarh 2022; ZipLM, Kurtic et al. 2023). For every layer reading the
 * group, with `Hinv = (H + λI)^-1`, removing the columns `M` of a channel and refitting the others
 * optimally costs `tr(W_M' (Hinv_MM)^-1 W_M)` of squared output error. Each round removes the
 * channel whose cost, summed over the layers (each relative to its output energy), is smallest,
 * then updates `W` and `Hinv` as if it were gone. A channel's score is the cumulative relative
 * error at the round it was removed (increasing: higher = keep); channels left after `steps`
 * rounds score that cumulative error plus their current cost. Layers whose weights carry no
 * energy are ignored; with none left (and no `extra`), every score is 0.
 */
export function structuredObs(layers: readonly ObsLayer[], channels: number, options: StructuredObsOptions): Float64Array {
  const states: LayerState[] = [];
  for (const layer of layers) {
    const state = prepare(layer, channels, options.damping);
    if (state !== null) states.push(state);
  }
  const scores = new Float64Array(channels);
  const extra = options.extra;
  if (states.length === 0 && extra === undefined) return scores;
  const alive = new Set<number>(Array.from({ length: channels }, (_, c) => c));
  const costOf = (c: number): number => states.reduce((sum, s) => sum + blockCost(s, s.blocks[c]) / s.energy, extra ? extra[c] : 0);
  let cumulative = 0;
  const steps = Math.max(0, Math.min(options.steps, channels - 1));
  for (let round = 0; round < steps; round++) {
    let best = -1;
    let bestCost = Infinity;
    for (const c of alive) {
      const cost = costOf(c);
      if (cost < bestCost) {
        bestCost = cost;
        best = c;
      }
    }
    if (best < 0) break;
    cumulative += Math.max(bestCost, 0);
    scores[best] = cumulative;
    alive.delete(best);
    for (const s of states) remove(s, s.blocks[best]);
  }
  for (const c of alive) scores[c] = cumulative + Math.max(costOf(c), 0);
  return scores;
}

function prepare(layer: ObsLayer, channels: number, damping: number): LayerState | null {
  const { size: n, outputs: m, gram, weights: w } = layer;
  // tr(W' H W), row by row of H W (contiguous inner loops).
  let energy = 0;
  const hw = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    hw.fill(0);
    for (let j = 0; j < n; j++) {
      const h = gram[i * n + j];
      if (h === 0) continue;
      const row = j * m;
      for (let o = 0; o < m; o++) hw[o] += h * w[row + o];
    }
    for (let o = 0; o < m; o++) energy += w[i * m + o] * hw[o];
  }
  if (!(energy > 0)) return null;
  const blockLists: number[][] = Array.from({ length: channels }, () => []);
  layer.channels.forEach((c, j) => c >= 0 && c < channels && blockLists[c].push(j));
  const columns = n - (layer.bias ? 1 : 0);
  let mean = 0;
  for (let i = 0; i < columns; i++) mean += gram[i * n + i];
  mean = columns > 0 ? mean / columns : 1;
  for (let d = damping, attempt = 0; attempt < 7; attempt++, d = d > 0 ? d * 10 : 1e-8) {
    const a = Float64Array.from(gram);
    const lambda = d * (mean || 1);
    for (let i = 0; i < columns; i++) a[i * n + i] += lambda;
    const l = cholesky(a, n);
    if (l === null) continue;
    return { n, m, hinv: choleskyInverse(l, n), w: Float64Array.from(w), blocks: blockLists.map((b) => Int32Array.from(b)), energy, active: Int32Array.from({ length: n }, (_, i) => i) };
  }
  return null;
}

/** `tr(W_M' (Hinv_MM)^-1 W_M)`: the squared output error of removing columns `M`, the rest refit. */
function blockCost(s: LayerState, cols: Int32Array): number {
  if (cols.length === 0) return 0;
  const b = cols.length;
  const a = new Float64Array(b * b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) a[i * b + j] = s.hinv[cols[i] * s.n + cols[j]];
  const l = cholesky(a, b);
  if (l === null) return 0; // already removed (its block of Hinv is zero)
  let cost = 0;
  const z = new Float64Array(b);
  for (let o = 0; o < s.m; o++) {
    // Solve L z = W_M[:, o]; the cost adds ||z||².
    for (let i = 0; i < b; i++) {
      let v = s.w[cols[i] * s.m + o];
      for (let k = 0; k < i; k++) v -= l[i * b + k] * z[k];
      z[i] = v / l[i * b + i];
      cost += z[i] * z[i];
    }
  }
  return cost;
}

/** Removes columns `M`: `W -= Hinv[:,M] (Hinv_MM)^-1 W_M`, `Hinv -= Hinv[:,M] (Hinv_MM)^-1 Hinv[M,:]`. */
function remove(s: LayerState, cols: Int32Array): void {
  const b = cols.length;
  if (b === 0) return;
  const { n, m, hinv, w } = s;
  const gone = new Set(cols);
  const active = s.active.filter((i) => !gone.has(i));
  s.active = active;
  const a = new Float64Array(b * b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) a[i * b + j] = hinv[cols[i] * n + cols[j]];
  const l = cholesky(a, b);
  if (l === null) return;
  const ainv = choleskyInverse(l, b);
  // U = Hinv[:, M] (n × b); V = U Ainv (n × b); T = Ainv W_M (b × m).
  const u = new Float64Array(n * b);
  for (let i = 0; i < n; i++) for (let k = 0; k < b; k++) u[i * b + k] = hinv[i * n + cols[k]];
  const v = new Float64Array(n * b);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < b; k++) {
      let sum = 0;
      for (let q = 0; q < b; q++) sum += u[i * b + q] * ainv[q * b + k];
      v[i * b + k] = sum;
    }
  }
  const t = new Float64Array(b * m);
  for (let k = 0; k < b; k++) {
    for (let o = 0; o < m; o++) {
      let sum = 0;
      for (let q = 0; q < b; q++) sum += ainv[k * b + q] * w[cols[q] * m + o];
      t[k * m + o] = sum;
    }
  }
  // Only the columns still there change; the removed ones are zeroed below.
  for (let p = 0; p < active.length; p++) {
    const i = active[p];
    for (let o = 0; o < m; o++) {
      let sum = 0;
      for (let k = 0; k < b; k++) sum += u[i * b + k] * t[k * m + o];
      w[i * m + o] -= sum;
    }
    for (let q = p; q < active.length; q++) {
      const j = active[q];
      let sum = 0;
      for (let k = 0; k < b; k++) sum += v[i * b + k] * u[j * b + k];
      hinv[i * n + j] -= sum;
      if (j !== i) hinv[j * n + i] -= sum;
    }
  }
  // Exactly zero what is gone (rounding leaves tiny values).
  for (const c of cols) {
    for (let i = 0; i < n; i++) {
      hinv[c * n + i] = 0;
      hinv[i * n + c] = 0;
    }
    for (let o = 0; o < m; o++) w[c * m + o] = 0;
  }
}
