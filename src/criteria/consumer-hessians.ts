import * as tf from '@tensorflow/tfjs';
import type { ResolvedGroup } from '../graph/find-groups';
import type { ResolvedModel } from '../graph/resolve-model';
import { linearView, linearViewUnsupported, type LinearView } from '../compensation/linear-view';
import { NormalEquations } from '../compensation/normal-equations';
import { seededRandom } from '../util/seeded-random';
import { samplePositions } from '../util/sample-positions';
import { channelIndex } from './channel-index';

/**
 * What the scoring need `'hessians'` gives a criterion for every layer that reads a group's
 * channels through weights (a Dense, Conv1D/2D/3D, Conv2DTranspose or SeparableConv2D consumer): the layer's
 * input seen as design rows (`X`: the input vector of a Dense, the flattened receptive field of
 * one output position of a convolution) and its weights, so that the loss of removing input
 * columns, with the other columns refit, can be computed in closed form (Optimal Brain Surgeon,
 * Hassibi & Stork 1993; structured as in Optimal Brain Compression, Frantar & Alistarh 2022).
 * Columns are in the kernel's memory order (`[...window, inputChannel]`), the bias column last.
 *
 * @example
 * ```ts
 * // The share of a consumer's output energy that one channel's columns carry, ignoring correlations.
 * const share = (h: ConsumerHessian, channel: number): number => {
 *   let part = 0;
 *   let all = 0;
 *   for (let j = 0; j < h.size; j++) {
 *     let w2 = 0;
 *     for (let o = 0; o < h.outputs; o++) w2 += h.weights[j * h.outputs + o] ** 2;
 *     all += h.diagonal[j] * w2;
 *     if (h.channels[j] === channel) part += h.diagonal[j] * w2;
 *   }
 *   return all > 0 ? part / all : 0;
 * };
 * ```
 */
export interface ConsumerHessian {
  /** Layer name. */
  readonly layer: string;
  /** Design rows accumulated (examples × sampled output positions). */
  readonly rows: number;
  /** Unknowns per output: the design's columns, plus one for the bias (last) when the layer has one. */
  readonly size: number;
  /** Outputs of the layer (units, filters). */
  readonly outputs: number;
  /**
   * `[X 1]'[X 1]` summed over the rows, `size × size` row-major; `null` when the layer is wider
   * than 2,048 columns (then only `diagonal` is kept).
   */
  readonly gram: Float64Array | null;
  /** The diagonal of `[X 1]'[X 1]` (`size` values). */
  readonly diagonal: Float64Array;
  /** The layer's kernel reshaped to `[columns, outputs]`, then its bias row: `size × outputs` row-major. */
  readonly weights: Float64Array;
  /** Per column: the channel of the group this entry is listed under, or -1 (another group's, the bias). */
  readonly channels: Int32Array;
  /** Whether the last unknown is the bias (a column of ones). */
  readonly bias: boolean;
}

/** Layers wider than this keep the diagonal of their Gram matrix only (a full one is 32 MB at 2,048). */
export const MAX_GRAM_COLUMNS = 2048;
/**
 * Design rows sampled per scoring batch and layer: as many as the layer has columns (at least 256,
 * at most 4,096), so 8 batches give at least 8 rows per unknown and the Gram costs O(columns³).
 */
const rowsPerBatch = (columns: number): number => Math.min(4096, Math.max(256, columns));

interface Target {
  nodeIndex: number;
  view: LinearView;
  layer: tf.layers.Layer;
  /** Per input position: column map per group id. */
  positions: Map<string, Int32Array>;
  eq: NormalEquations | null;
  diagonal: Float64Array | null;
  size: number;
  rows: number;
}

/**
 * Accumulates the design Gram matrix of every weighted consumer of the given groups, batch by
 * batch, from the consumer inputs of a forward pass (`observe` is the pass's `onNode`).
 */
export class HessianAccumulator {
  private readonly targets = new Map<number, Target>();
  private readonly random: () => number;

  constructor(
    resolved: ResolvedModel,
    groups: readonly ResolvedGroup[],
    seed = 0,
  ) {
    this.random = seededRandom(seed);
    const { flow } = resolved;
    const index = channelIndex(resolved);
    flow.graph.nodes.forEach((node, nodeIndex) => {
      const rule = flow.rules[nodeIndex];
      if (rule.type !== 'producer' || !rule.consumesInput || node.inputs.length !== 1 || node.callCount !== 1) return;
      if (linearViewUnsupported(node.layer) !== null) return;
      const positions = new Map<string, Int32Array>();
      for (const g of groups) {
        const p = index.positionsOf(node.inputs[0], g.id);
        if (p.some((c) => c >= 0)) positions.set(g.id, p);
      }
      if (positions.size === 0) return;
      this.targets.set(nodeIndex, { nodeIndex, view: linearView(node.layer), layer: node.layer, positions, eq: null, diagonal: null, size: 0, rows: 0 });
    });
  }

  /** Whether any layer is watched. */
  get empty(): boolean {
    return this.targets.size === 0;
  }

  /** Adds one batch's rows of the layer at `nodeIndex`, whose inputs are `ins` (a forward pass's `onNode`). */
  observe(nodeIndex: number, ins: readonly tf.Tensor[]): void {
    const t = this.targets.get(nodeIndex);
    if (t === undefined) return;
    const x = ins[0];
    const width = x.shape[x.rank - 1];
    const columns = t.view.columns(width);
    if (t.size === 0) {
      t.size = columns + (t.view.useBias ? 1 : 0);
      if (columns <= MAX_GRAM_COLUMNS) t.eq = new NormalEquations(columns, 0, t.view.useBias);
      else t.diagonal = new Float64Array(t.size);
    }
    const total = t.view.positions(x.shape);
    const perExample = Math.max(1, Math.min(total, Math.ceil(rowsPerBatch(columns) / x.shape[0])));
    const pick = perExample < total ? samplePositions(total, perExample, this.random) : null;
    tf.tidy(() => {
      const design = t.view.design(x, pick);
      if (t.eq !== null) {
        t.eq.add(design);
      } else {
        const sq = design.square().sum(0).dataSync();
        for (let j = 0; j < columns; j++) t.diagonal![j] += sq[j];
        if (t.view.useBias) t.diagonal![columns] += design.shape[0];
      }
      t.rows += design.shape[0];
    });
  }

  /** The accumulated matrices, per group id: one entry per consumer that reads the group. */
  result(): Record<string, ConsumerHessian[]> {
    const out: Record<string, ConsumerHessian[]> = {};
    for (const t of this.targets.values()) {
      if (t.rows === 0) continue;
      const weights = t.layer.getWeights();
      const matrix = t.view.matrix(weights[t.view.kernelIndex]);
      const kernel = matrix.dataSync();
      const outputs = matrix.shape[1];
      matrix.dispose();
      const w = new Float64Array(t.size * outputs);
      w.set(kernel);
      if (t.view.useBias) w.set(weights[t.view.biasIndex].dataSync(), (t.size - 1) * outputs);
      const gram = t.eq?.g ?? null;
      const diagonal = gram !== null ? Float64Array.from({ length: t.size }, (_, i) => gram[i * t.size + i]) : t.diagonal!;
      const columns = t.size - (t.view.useBias ? 1 : 0);
      for (const [group, positions] of t.positions) {
        const width = positions.length;
        const depth = t.view.kind === 'separable' ? columns / width : 1;
        const channels = new Int32Array(t.size).fill(-1);
        // Column j reads input position (j mod width) of a conv's window, (j / depth) of a separable's depthwise output.
        for (let j = 0; j < columns; j++) channels[j] = positions[t.view.kind === 'separable' ? Math.floor(j / depth) : j % width];
        (out[group] ??= []).push({ layer: t.layer.name, rows: t.rows, size: t.size, outputs, gram, diagonal, weights: w, channels, bias: t.view.useBias });
      }
    }
    return out;
  }
}
