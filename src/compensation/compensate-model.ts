import * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';
import { batchesOf, disposeBatch } from '../data/data-source';
import { buildLayerGraph } from '../graph/layer-graph';
import type { ResolvedModel } from '../graph/resolve-model';
import { keepPositions } from '../surgery/keep-positions';
import { weightShortName } from '../model/weight-short-name';
import { seededRandom } from '../util/seeded-random';
import { samplePositions } from '../util/sample-positions';
import { yieldToEventLoop } from '../util/yield-to-event-loop';
import { linearView, linearViewUnsupported, type LinearView } from './linear-view';
import { NormalEquations } from './normal-equations';
import { ridgeRefit } from './ridge-refit';
import type { ResolvedCompensation } from './compensate-options';
import type { CompensatedLayer, CompensationRecord } from './compensation-record';

/** A tensor kept on the host between layers: one per calibration batch. */
interface Host {
  data: Float32Array;
  shape: number[];
}

/** Design rows sampled per refit layer (examples × positions), at most. */
const ROW_BUDGET = 32768;
/** Layers whose least-squares problem has more unknowns than this are not refit (cost n³). */
const MAX_COLUMNS = 4096;

const toHost = (t: tf.Tensor): Host => ({ data: t.dataSync() as Float32Array, shape: t.shape.slice() });
const toTensor = (h: Host): tf.Tensor => tf.tensor(h.data, h.shape);

/**
 * Repairs `pruned` (a fresh model made by surgery from `reference`, owned by the caller and
 * modified in place) on calibration samples: walks both models layer by layer in topological
 * order; every supported layer that reads removed channels is refit by ridge least squares so
 * that its pre-activation output matches the reference's on the same samples, and every
 * BatchNormalization whose input changed gets moving statistics that map its new input's
 * moments to the reference's normalised ones. Activations live on the host between layers, so
 * the backend holds one batch of one layer at a time. The caller checks `options.data` against
 * the model first (`checkDataSource`); batches drawn from a dataset are checked as they come.
 */
export async function compensateModel(
  reference: tf.LayersModel,
  resolved: ResolvedModel,
  removed: Set<number>,
  pruned: tf.LayersModel,
  options: ResolvedCompensation,
  where: string,
): Promise<CompensationRecord> {
  const start = performance.now();
  const { flow } = resolved;
  const refGraph = flow.graph;
  const prGraph = buildLayerGraph(pruned);
  if (prGraph.nodes.length !== refGraph.nodes.length || prGraph.nodes.some((n, i) => n.name !== refGraph.nodes[i].name)) {
    throw new PruneError('INTERNAL', `${where}: the pruned model's layer graph does not match the original's.`);
  }

  // Calibration inputs, on the host.
  const inputs: Host[][] = [];
  let examples = 0;
  for await (const batch of batchesOf(reference, options.data, options.batchSize, `${where}.compensate.data`, false)) {
    try {
      const hosts = batch.x.map(toHost);
      hosts.forEach((h, i) => {
        if (!h.data.every(Number.isFinite)) {
          throw new PruneError('INVALID_DATA', `${where}.compensate.data: input ${i} of batch ${inputs.length} holds NaN or infinite values; give finite calibration samples.`);
        }
      });
      inputs.push(hosts);
      examples += batch.size;
    } finally {
      disposeBatch(batch);
    }
  }
  if (examples === 0) throw new PruneError('MISSING_DATA', `${where}.compensate.data holds no examples; give a few hundred calibration samples.`);

  // Last reader of every tensor, to free host copies early.
  const lastUse = new Map<string, number>();
  refGraph.nodes.forEach((n, i) => n.inputs.forEach((k) => lastUse.set(k, i)));
  const refVals = new Map<string, Host[]>();
  const prVals = new Map<string, Host[]>();
  /** Tensors of the pruned model whose values equal the reference's at their kept positions. */
  const clean = new Set<string>();
  [...refGraph.inputs].forEach((key, i) => {
    const list = inputs.map((b) => b[i]);
    refVals.set(key, list);
    prVals.set(key, list);
    clean.add(key);
  });

  const layers: CompensatedLayer[] = [];
  const batchNorm: string[] = [];
  const skipped: Array<{ layer: string; reason: string }> = [];
  const random = seededRandom(options.seed);
  const kwargs = { training: false };

  const runNode = async (layer: tf.layers.Layer, ins: Host[][], count: number): Promise<Host[][]> => {
    const outs: Host[][] = [];
    for (let b = 0; b < inputs.length; b++) {
      const result = tf.tidy(() => {
        const xs = ins.map((list) => toTensor(list[b]));
        const out = layer.apply(xs.length === 1 ? xs[0] : xs, kwargs) as tf.Tensor | tf.Tensor[];
        return Array.isArray(out) ? out : [out];
      });
      try {
        result.slice(0, count).forEach((t, i) => (outs[i] ??= []).push(toHost(t)));
      } finally {
        tf.dispose(result);
      }
      await yieldToEventLoop();
    }
    return outs;
  };

  for (let i = 0; i < refGraph.nodes.length; i++) {
    const rn = refGraph.nodes[i];
    const pn = prGraph.nodes[i];
    if (flow.rules[i].type === 'input') continue;
    const refIns = rn.inputs.map((k) => refVals.get(k)!);
    const refOuts = await runNode(rn.layer, refIns, rn.outputs.length);
    rn.outputs.forEach((k, j) => refVals.set(k, refOuts[j]));

    const keepIn = rn.inputs.length === 1 ? keepPositions(flow, rn.inputs[0], removed) : null;
    const inputsClean = rn.inputs.every((k) => clean.has(k));
    const unchanged = rn.inputs.every((k) => keepPositions(flow, k, removed) === null) && rn.outputs.every((k) => keepPositions(flow, k, removed) === null);
    if (inputsClean && unchanged) {
      rn.outputs.forEach((k, j) => {
        prVals.set(k, refOuts[j]);
        clean.add(k);
      });
    } else {
      const prIns = pn.inputs.map((k) => prVals.get(k)!);
      const readsRemoved = keepIn !== null && flow.rules[i].type === 'producer';
      if (readsRemoved && options.refit && rn.callCount === 1) {
        const reason = linearViewUnsupported(pn.layer);
        if (reason !== null) skipped.push({ layer: rn.name, reason });
        else {
          const done = await refitLayer(rn.layer, pn.layer, refIns[0], prIns[0], keepPositions(flow, rn.outputs[0], removed), options, random, where);
          if ('reason' in done) skipped.push({ layer: rn.name, reason: done.reason });
          else layers.push(done);
        }
      } else if (rn.className === 'BatchNormalization' && options.batchNorm && !inputsClean && rn.callCount === 1) {
        correctBatchNorm(pn.layer, refIns[0], prIns[0], keepIn);
        batchNorm.push(rn.name);
      }
      const prOuts = await runNode(pn.layer, prIns, pn.outputs.length);
      const outClean = inputsClean && !readsRemoved;
      pn.outputs.forEach((k, j) => {
        prVals.set(k, prOuts[j]);
        if (outClean) clean.add(k);
      });
    }
    for (const k of new Set(rn.inputs)) {
      if (lastUse.get(k) === i && !refGraph.inputs.has(k)) {
        refVals.delete(k);
        prVals.delete(k);
      }
    }
  }
  return { examples, seconds: (performance.now() - start) / 1000, layers, batchNorm, skipped };
}

/** Refits `target` (the pruned copy of `source`) from the two models' inputs of that layer. */
async function refitLayer(
  source: tf.layers.Layer,
  target: tf.layers.Layer,
  refIn: Host[],
  prIn: Host[],
  keepOut: Int32Array | null,
  options: ResolvedCompensation,
  random: () => number,
  where: string,
): Promise<CompensatedLayer | { reason: string }> {
  const refView = linearView(source);
  const view: LinearView = linearView(target);
  const width = prIn[0].shape[prIn[0].shape.length - 1];
  const columns = view.columns(width);
  if (columns + 1 > MAX_COLUMNS) return { reason: `its least-squares problem has ${columns + 1} unknowns per output (more than ${MAX_COLUMNS})` };
  const examples = prIn.reduce((n, h) => n + h.shape[0], 0);
  const positions = view.positions(prIn[0].shape);
  const perExample = Math.max(1, Math.min(positions, Math.ceil(ROW_BUDGET / examples)));
  const rows = examples * perExample;
  if (rows < 0.5 * (columns + 1) && !options.dampingGiven) {
    if (options.onShortData === 'skip') {
      return { reason: `its ${columns + 1} unknowns per output need at least ${Math.ceil((columns + 1) / (2 * perExample))} calibration examples; ${examples} were given` };
    }
    throw new PruneError(
      'INSUFFICIENT_DATA',
      `${where}.compensate: layer '${target.name}' has ${columns + 1} unknowns per output but the ${examples} calibration example(s) give only ${rows} rows. ` +
        `Give at least ${Math.ceil((columns + 1) / (2 * perExample))} examples, or set compensate.damping explicitly to accept a strongly damped refit.`,
    );
  }
  const refWeights = source.getWeights();
  const weights = target.getWeights();
  const kernelMatrix = view.matrix(weights[view.kernelIndex]);
  const outputs = kernelMatrix.shape[1];
  const eq = new NormalEquations(columns, outputs, view.useBias);
  // The reference output at the outputs the layer keeps (it may have lost some of its own).
  const refMatrix = tf.tidy(() => {
    const m = refView.matrix(refWeights[refView.kernelIndex]);
    return keepOut === null ? m : tf.gather(m, tf.tensor1d(keepOut, 'int32'), 1);
  });
  const refBias = refView.biasIndex < 0 ? null : keepOut === null ? refWeights[refView.biasIndex] : tf.tidy(() => tf.gather(refWeights[refView.biasIndex], tf.tensor1d(keepOut, 'int32')));
  try {
    for (let b = 0; b < prIn.length; b++) {
      const pick = perExample < positions ? samplePositions(positions, perExample, random) : null;
      tf.tidy(() => {
        const xp = view.pointwise ? hostRows(prIn[b], pick) : view.design(toTensor(prIn[b]), pick, view.depthwiseIndex >= 0 ? weights[view.depthwiseIndex] : undefined);
        const xr = refView.pointwise ? hostRows(refIn[b], pick) : refView.design(toTensor(refIn[b]), pick, refView.depthwiseIndex >= 0 ? refWeights[refView.depthwiseIndex] : undefined);
        let y: tf.Tensor = tf.matMul(xr, refMatrix);
        if (refBias !== null) y = y.add(refBias);
        eq.add(xp, y as tf.Tensor2D);
      });
      await yieldToEventLoop();
    }
  } finally {
    refMatrix.dispose();
    if (refBias !== null && keepOut !== null) refBias.dispose();
  }
  const n = eq.n;
  const w0 = new Float64Array(n * outputs);
  w0.set(kernelMatrix.dataSync());
  kernelMatrix.dispose();
  if (view.useBias) w0.set(weights[view.biasIndex].dataSync(), columns * outputs);
  const total = eq.totalVariation() || 1;
  const errorBefore = eq.squaredError(w0) / total;
  const solution = ridgeRefit(eq, w0, options.damping);
  if (solution === null) return { reason: 'its least-squares system stayed singular after raising the damping' };
  const errorAfter = eq.squaredError(solution.w) / total;
  if (!(errorAfter <= errorBefore)) return { reason: `the refit did not lower the error (${errorBefore.toPrecision(3)} -> ${errorAfter.toPrecision(3)})` };
  const updated = weights.slice();
  const kernelShape = weights[view.kernelIndex].shape;
  updated[view.kernelIndex] = view.kernel(Float32Array.from(solution.w.subarray(0, columns * outputs)), kernelShape);
  if (view.useBias) updated[view.biasIndex] = tf.tensor1d(Float32Array.from(solution.w.subarray(columns * outputs)));
  try {
    target.setWeights(updated);
  } finally {
    // getWeights() returns the layers' own variables: only the new tensors are ours to free.
    tf.dispose(view.useBias ? [updated[view.kernelIndex], updated[view.biasIndex]] : [updated[view.kernelIndex]]);
  }
  return { layer: target.name, columns: n, rows: eq.rows, errorBefore, errorAfter };
}

/**
 * The rows of a pointwise layer's design straight from its host input: every position of every
 * example, or the positions `pick` of each (the same for all examples), as `[rows, width]`.
 */
function hostRows(h: Host, pick: Int32Array | null): tf.Tensor2D {
  const width = h.shape[h.shape.length - 1];
  if (pick === null) return tf.tensor2d(h.data, [h.data.length / width, width]);
  const positions = h.data.length / (h.shape[0] * width);
  const out = new Float32Array(h.shape[0] * pick.length * width);
  let o = 0;
  for (let n = 0; n < h.shape[0]; n++) {
    for (const p of pick) {
      const start = (n * positions + p) * width;
      out.set(h.data.subarray(start, start + width), o);
      o += width;
    }
  }
  return tf.tensor2d(out, [h.shape[0] * pick.length, width]);
}

/** Per-channel mean and variance of host batches over every axis but the last. */
function moments(list: Host[], positions: Int32Array | null): { mean: Float64Array; variance: Float64Array } {
  const width = list[0].shape[list[0].shape.length - 1];
  const chosen = positions ?? Int32Array.from({ length: width }, (_, i) => i);
  const sum = new Float64Array(chosen.length);
  const sq = new Float64Array(chosen.length);
  let count = 0;
  for (const h of list) {
    const rows = h.data.length / width;
    for (let r = 0; r < rows; r++) {
      const base = r * width;
      for (let c = 0; c < chosen.length; c++) {
        const v = h.data[base + chosen[c]];
        sum[c] += v;
        sq[c] += v * v;
      }
    }
    count += rows;
  }
  const mean = sum.map((s) => s / count);
  const variance = sq.map((s, c) => Math.max(s / count - mean[c] * mean[c], 0));
  return { mean, variance };
}

/**
 * Gives `bn` moving statistics under which its new input is normalised to the moments the
 * reference input had under the old statistics: with `r = sqrt(v_new / v_ref)`,
 * `mean' = m_new - r (m_ref - mean)` and `var' + eps = r² (var + eps)`.
 */
function correctBatchNorm(bn: tf.layers.Layer, refIn: Host[], prIn: Host[], keepIn: Int32Array | null): void {
  const names = bn.weights.map(weightShortName);
  const mi = names.indexOf('moving_mean');
  const vi = names.indexOf('moving_variance');
  if (mi < 0 || vi < 0) return;
  const eps = Number((bn.getConfig() as { epsilon?: number }).epsilon ?? 1e-3);
  const ref = moments(refIn, keepIn);
  const now = moments(prIn, null);
  const weights = bn.getWeights();
  const mu = weights[mi].dataSync();
  const va = weights[vi].dataSync();
  const newMean = new Float32Array(mu.length);
  const newVar = new Float32Array(va.length);
  for (let c = 0; c < mu.length; c++) {
    const r = ref.variance[c] > 1e-12 ? Math.sqrt(now.variance[c] / ref.variance[c]) : 1;
    newMean[c] = now.mean[c] - r * (ref.mean[c] - mu[c]);
    newVar[c] = Math.max(r * r * (va[c] + eps) - eps, 0);
  }
  const updated = weights.slice();
  updated[mi] = tf.tensor1d(newMean);
  updated[vi] = tf.tensor1d(newVar);
  try {
    bn.setWeights(updated);
  } finally {
    tf.dispose([updated[mi], updated[vi]]);
  }
}
