import * as tf from '@tensorflow/tfjs';
import type { ResolvedGroup } from '../graph/find-groups';
import type { ResolvedModel } from '../graph/resolve-model';
import { PruneError } from '../errors';
import { noExamples } from '../data/assert-data-not-empty';
import { batchesOf, disposeBatch, type Batch, type DataSource } from '../data/data-source';
import type { LossSpec } from '../data/per-example-loss';
import { perExampleLoss } from '../data/per-example-loss';
import type { Removals } from '../surgery/validate-removals';
import { weightShortName } from '../model/weight-short-name';
import { customSurgeryOf } from '../graph/channel-rule';
import { producerChannelAxis } from './channel-axis';
import { channelIndex } from './channel-index';
import type { ChannelStats, ChannelValues, CriterionInput, CriterionNeed } from './criterion';
import { gatedForward, planGates, type GatePlan, type GateTap } from './gated-forward';
import { GatedEvaluator, type EvaluationMetric } from './gated-evaluator';
import { WeightViews } from './weight-views';
import { yieldToEventLoop } from '../util/yield-to-event-loop';
import { HessianAccumulator } from './consumer-hessians';

/** What the scoring run needs besides the model. */
export interface ScoringRunOptions {
  data?: DataSource;
  loss?: LossSpec | LossSpec[];
  batchSize: number;
  /** Prefix of error messages, e.g. `scoreGroups`. */
  where: string;
}

/** A prepared scoring run: the input every criterion reads, and the tensors to free afterwards. */
export interface ScoringRun {
  readonly input: CriterionInput;
  dispose(): void;
}

/** One weight of a producer whose per-channel w * dL/dw sums feed `weightTaylor`. */
interface WeightTerm {
  group: string;
  producer: number;
  variable: tf.Variable;
  axis: number;
  /** Producer output position -> row of the producer's `ProducerWeights` (-1: another group). */
  rowOf: Int32Array;
  rows: number;
}

/** Per-column sums over the scoring data. */
class Accumulator {
  examples = 0;
  batches = 0;
  readonly positions: Float64Array;
  readonly count: Float64Array;
  readonly sum: Float64Array;
  readonly sumAbs: Float64Array;
  readonly sumSq: Float64Array;
  readonly zeros: Float64Array;
  readonly taylor: Float64Array;
  readonly weightTaylor = new Map<string, Float64Array[]>();
  lossSum = 0;

  constructor(width: number) {
    this.positions = new Float64Array(width);
    this.count = new Float64Array(width);
    this.sum = new Float64Array(width);
    this.sumAbs = new Float64Array(width);
    this.sumSq = new Float64Array(width);
    this.zeros = new Float64Array(width);
    this.taylor = new Float64Array(width);
  }
}

const NEEDS: readonly CriterionNeed[] = ['activations', 'gradients', 'weightGradients', 'evaluations', 'hessians'];

/** Whether any of `needs` needs labels (a loss): gradients and evaluations do; activations and hessians do not. */
export function needsLabels(needs: readonly CriterionNeed[]): boolean {
  return needs.some((n) => n === 'gradients' || n === 'weightGradients' || n === 'evaluations');
}

/** Throws a PruneError unless every need is known. */
export function assertNeeds(needs: unknown, where: string): asserts needs is CriterionNeed[] {
  if (!Array.isArray(needs) || needs.some((n) => !NEEDS.includes(n as CriterionNeed))) {
    throw new PruneError('INVALID_OPTION', `${where}: needs must be an array of ${NEEDS.map((n) => `'${n}'`).join(', ')}; got ${JSON.stringify(needs)}.`);
  }
}

function weightTerms(resolved: ResolvedModel, views: WeightViews, groups: readonly ResolvedGroup[]): WeightTerm[] {
  const nodes = new Map(resolved.flow.graph.nodes.map((n) => [n.name, n]));
  const index = channelIndex(resolved);
  const terms: WeightTerm[] = [];
  for (const g of groups) {
    views.producerWeights(g.id).forEach((p, producer) => {
      const node = nodes.get(p.layer)!;
      let rows = 0;
      const rowOf = index.positionsOf(node.outputs[0], g.id).map((c) => (c >= 0 ? rows++ : -1));
      const custom = customSurgeryOf(resolved.flow.rules[resolved.flow.graph.nodes.indexOf(node)]);
      node.layer.weights.forEach((w, i) => {
        const where = producerChannelAxis(node.className, weightShortName(w), w.shape.length, custom?.weights[i]);
        if (where === null) return;
        terms.push({ group: g.id, producer, variable: w.read() as tf.Variable, axis: where.axis, rowOf, rows });
      });
    });
  }
  return terms;
}

/** Sums of z, |z|, z^2 and zeros per channel position of a tap tensor, as `[4, width]`. */
function tapSums(z: tf.Tensor): tf.Tensor2D {
  const width = z.shape[z.rank - 1] as number;
  const flat = z.reshape([-1, width]);
  return tf.stack([flat.sum(0), flat.abs().sum(0), flat.square().sum(0), flat.equal(0).toFloat().sum(0)]) as tf.Tensor2D;
}

/** Adds one batch's tap sums to the accumulator (host side). */
function addTapSums(acc: Accumulator, taps: Array<{ tap: GateTap; spatial: number; sums: Float32Array }>, batchSize: number): void {
  for (const { tap, spatial, sums } of taps) {
    const w = tap.columns.length;
    tap.columns.forEach((col, p) => {
      if (col < 0) return;
      acc.count[col] += batchSize * spatial;
      acc.sum[col] += sums[p];
      acc.sumAbs[col] += sums[w + p];
      acc.sumSq[col] += sums[2 * w + p];
      acc.zeros[col] += sums[3 * w + p];
    });
  }
}

/** Values per example each column's channel shows the consumers in this batch. */
function positionsPerExample(width: number, taps: Array<{ tap: GateTap; spatial: number }>): Float64Array {
  const m = new Float64Array(width);
  for (const { tap, spatial } of taps) tap.columns.forEach((col) => col >= 0 && (m[col] += spatial));
  return m;
}

async function runPass(
  resolved: ResolvedModel,
  plan: GatePlan,
  batch: Batch,
  needs: ReadonlySet<CriterionNeed>,
  lossOf: ((yTrue: tf.Tensor[], yPred: tf.Tensor[]) => tf.Tensor1D) | null,
  terms: WeightTerm[],
  acc: Accumulator,
  /** Consumer Gram matrices to accumulate from a forward-only pass's layer inputs. */
  hessians: HessianAccumulator | null,
): Promise<void> {
  const wantActs = needs.has('activations');
  const wantGrads = needs.has('gradients') || needs.has('weightGradients');
  const seen: Array<{ tap: GateTap; spatial: number; sums: tf.Tensor | null }> = [];
  const observe = (tap: GateTap, z: tf.Tensor): void => {
    const spatial = z.size / (z.shape[0] * (z.shape[z.rank - 1] as number));
    seen.push({ tap, spatial, sums: wantActs ? tf.keep(tapSums(z)) : null });
  };
  const held: tf.Tensor[] = [];
  try {
    let taylorSum: tf.Tensor | null = null;
    let weightSums: tf.Tensor[] = [];
    let lossSum: tf.Tensor | null = null;
    if (wantGrads) {
      const vars = needs.has('weightGradients') ? terms.map((t) => t.variable) : [];
      const gates = tf.ones([batch.size, plan.width]);
      held.push(gates);
      const f = (g: tf.Tensor): tf.Scalar => lossOf!(batch.y!, gatedForward(resolved, plan, batch.x, g, { onTap: observe })).sum() as tf.Scalar;
      const { value, grads } = tf.valueAndGrads((g: tf.Tensor, ..._vs: tf.Tensor[]) => f(g))([gates, ...vars]);
      held.push(value, ...grads);
      lossSum = value;
      taylorSum = tf.tidy(() => grads[0].abs().sum(0));
      held.push(taylorSum);
      weightSums = terms.length > 0 && vars.length > 0
        ? grads.slice(1).map((g, i) =>
            tf.tidy(() => {
              const t = terms[i];
              const prod = g.mul(t.variable).div(batch.size);
              const axes = prod.shape.map((_, a) => a).filter((a) => a !== t.axis);
              return axes.length > 0 ? prod.sum(axes) : prod;
            }),
          )
        : [];
      held.push(...weightSums);
    } else {
      const out = tf.tidy((): tf.Tensor[] => {
        const onNode = hessians === null ? undefined : (nodeIndex: number, ins: readonly tf.Tensor[]): void => hessians.observe(nodeIndex, ins);
        const outs = gatedForward(resolved, plan, batch.x, null, { onTap: observe, onNode });
        return lossOf && batch.y ? [lossOf(batch.y, outs).sum()] : [];
      });
      held.push(...out);
      lossSum = out[0] ?? null;
    }
    seen.forEach((s) => s.sums && held.push(s.sums));

    // Download everything of this batch.
    const tapValues = await Promise.all(seen.map((s) => (s.sums ? (s.sums.data() as Promise<Float32Array>) : Promise.resolve(new Float32Array(0)))));
    const m = positionsPerExample(plan.width, seen);
    if (acc.batches === 0) acc.positions.set(m);
    if (wantActs) addTapSums(acc, seen.map((s, i) => ({ tap: s.tap, spatial: s.spatial, sums: tapValues[i] })), batch.size);
    if (taylorSum) {
      const t = (await taylorSum.data()) as Float32Array;
      for (let c = 0; c < plan.width; c++) if (m[c] > 0) acc.taylor[c] += t[c] / m[c];
    }
    if (weightSums.length > 0) {
      const perProducer = new Map<string, Float64Array>();
      const values = await Promise.all(weightSums.map((w) => w.data() as Promise<Float32Array>));
      terms.forEach((t, i) => {
        const key = `${t.group}\u0000${t.producer}`;
        const sum = perProducer.get(key) ?? new Float64Array(t.rows);
        values[i].forEach((v, p) => t.rowOf[p] >= 0 && (sum[t.rowOf[p]] += v));
        perProducer.set(key, sum);
      });
      for (const [key, sum] of perProducer) {
        const [group, producer] = key.split('\u0000');
        const list = acc.weightTaylor.get(group) ?? [];
        const squares = list[Number(producer)] ?? new Float64Array(sum.length);
        sum.forEach((v, p) => (squares[p] += v * v));
        list[Number(producer)] = squares;
        acc.weightTaylor.set(group, list);
      }
    }
    if (lossSum) acc.lossSum += (await lossSum.data())[0];
    acc.examples += batch.size;
    acc.batches += 1;
  } finally {
    tf.dispose(held);
    seen.forEach((s) => s.sums?.dispose());
  }
}

function statsOf(acc: Accumulator, plan: GatePlan, groups: readonly ResolvedGroup[], needs: ReadonlySet<CriterionNeed>, views: WeightViews): Record<string, ChannelStats> {
  const out: Record<string, ChannelStats> = {};
  for (const g of groups) {
    const o = plan.offsets.get(g.id)!;
    const col = (f: (c: number) => number): Float32Array => Float32Array.from({ length: g.size }, (_, i) => f(o + i));
    const safe = (num: number, den: number): number => (den > 0 ? num / den : 0);
    const stats: { -readonly [K in keyof ChannelStats]: ChannelStats[K] } = { examples: acc.examples, positions: col((c) => acc.positions[c]) };
    if (needs.has('activations')) {
      stats.meanActivation = col((c) => safe(acc.sum[c], acc.count[c]));
      stats.meanAbsActivation = col((c) => safe(acc.sumAbs[c], acc.count[c]));
      stats.activationStd = col((c) => {
        const mean = safe(acc.sum[c], acc.count[c]);
        return Math.sqrt(Math.max(0, safe(acc.sumSq[c], acc.count[c]) - mean * mean));
      });
      stats.zeroFraction = col((c) => safe(acc.zeros[c], acc.count[c]));
    }
    if (needs.has('gradients')) stats.taylor = col((c) => safe(acc.taylor[c], acc.examples));
    if (needs.has('weightGradients')) {
      const squares = acc.weightTaylor.get(g.id) ?? [];
      stats.weightTaylor = views.producerWeights(g.id).map((p, i): ChannelValues => {
        const s = squares[i] ?? new Float64Array(p.channels.length);
        return { channels: p.channels, values: Float32Array.from(s, (v) => v / Math.max(1, acc.batches)) };
      });
    }
    out[g.id] = stats;
  }
  return out;
}

/**
 * Runs the loss once on two examples, outside any gradient tape, so that a faulty loss (wrong
 * output shape) fails here with its own message: TF.js leaks the tape's saved tensors when a
 * gradient function throws.
 */
function probeLoss(resolved: ResolvedModel, plan: GatePlan, batch: Batch, lossOf: (yTrue: tf.Tensor[], yPred: tf.Tensor[]) => tf.Tensor1D): void {
  tf.tidy(() => {
    const n = Math.min(2, batch.size);
    const cut = (t: tf.Tensor): tf.Tensor => t.slice(0, n);
    lossOf(batch.y!.map(cut), gatedForward(resolved, plan, batch.x.map(cut), null));
  });
}

/**
 * The gate row of a removal set: 1 everywhere, 0 at the removed channels. Unlike `prune`, it may
 * switch off every channel of a group (an evaluation, not a model).
 */
function gateMask(resolved: ResolvedModel, plan: GatePlan, removals: Removals, where: string): Float32Array {
  if (removals === null || typeof removals !== 'object') {
    throw new PruneError('INVALID_OPTION', `${where}: evaluate() takes an object mapping group ids to channel indices; got ${String(removals)}.`);
  }
  const mask = new Float32Array(plan.width).fill(1);
  for (const [id, indices] of Object.entries(removals)) {
    const o = plan.offsets.get(id);
    const size = plan.groups.find((g) => g.id === id)?.size ?? 0;
    const group = resolved.groupById.get(id);
    if (group !== undefined && !group.prunable) {
      throw new PruneError('GROUP_NOT_PRUNABLE', `${where}: evaluate() got group '${id}', which cannot be pruned (${group.reason}).`);
    }
    if (o === undefined) {
      throw new PruneError('UNKNOWN_GROUP', `${where}: evaluate() got group '${id}', which is not a prunable group; prunable groups: ${plan.groups.map((g) => g.id).join(', ')}.`);
    }
    for (const i of Array.from(indices as ArrayLike<number>)) {
      if (!Number.isInteger(i) || i < 0 || i >= size) {
        throw new PruneError('INDEX_OUT_OF_RANGE', `${where}: evaluate() got channel ${String(i)} for group '${id}', which has ${size} channels.`);
      }
      mask[o + i] = 0;
    }
  }
  return mask;
}

/**
 * Prepares what criteria read: lazy weight views, and for data needs one pass over the scoring
 * batches (forward, and backward through per-example gates when gradients are needed).
 */
export async function createScoringRun(
  model: tf.LayersModel,
  resolved: ResolvedModel,
  groups: readonly ResolvedGroup[],
  needs: ReadonlySet<CriterionNeed>,
  options: ScoringRunOptions,
): Promise<ScoringRun> {
  const views = new WeightViews(resolved, channelIndex(resolved));
  const prunable = resolved.groups.filter((g) => g.prunable);
  const plan = planGates(resolved, prunable);
  const dataNeeded = needs.size > 0;
  const lossNeeded = needs.has('gradients') || needs.has('weightGradients') || needs.has('evaluations');
  const { data, batchSize, where } = options;
  if (dataNeeded && data === undefined) {
    throw new PruneError(
      'MISSING_DATA',
      `${where}: the criterion needs ${[...needs].join(' and ')}, so it needs scoring data, but none was given. ` +
        'Pass `data: { x, y }` (a few hundred examples of the validation set are enough), or use a weight-based criterion such as criteria.l1Norm().',
    );
  }
  const lossOf = lossNeeded ? perExampleLoss(model, options.loss) : null;

  const acc = new Accumulator(plan.width);
  // Evaluations run over the scoring data many times: its batches are kept until the run is disposed.
  const keepBatches = needs.has('evaluations');
  const kept: Batch[] = [];
  const terms = needs.has('weightGradients') ? weightTerms(resolved, views, prunable) : [];
  const passNeeds = new Set([...needs].filter((n) => n !== 'evaluations' && n !== 'hessians'));
  const hessians = needs.has('hessians') ? new HessianAccumulator(resolved, groups) : null;
  try {
    if (data !== undefined && dataNeeded && groups.length > 0) {
      let probed = false;
      let examples = 0;
      for await (const batch of batchesOf(model, data, batchSize, where, lossNeeded, lossNeeded ? { loss: options.loss } : undefined)) {
        try {
          if (lossOf !== null && !probed) {
            probeLoss(resolved, plan, batch, lossOf);
            probed = true;
          }
          const watched = hessians !== null && !hessians.empty ? hessians : null;
          // Without gradients, one forward pass serves the statistics and the Gram matrices.
          const gradients = passNeeds.has('gradients') || passNeeds.has('weightGradients');
          if (passNeeds.size > 0 || watched !== null) await runPass(resolved, plan, batch, passNeeds, lossOf, terms, acc, gradients ? null : watched);
          if (watched !== null && gradients) {
            tf.tidy(() => {
              gatedForward(resolved, plan, batch.x, null, { onNode: (nodeIndex, ins) => watched.observe(nodeIndex, ins) });
            });
          }
          examples += batch.size;
        } finally {
          if (keepBatches) kept.push(batch);
          else disposeBatch(batch);
        }
        await yieldToEventLoop();
      }
      if (examples === 0) throw new PruneError('MISSING_DATA', noExamples(`${where}: data`, 'the dataset yielded no element, or only empty batches'));
    }
  } catch (e) {
    kept.forEach(disposeBatch);
    throw e;
  }

  const stats = passNeeds.size > 0 ? statsOf(acc, plan, groups, passNeeds, views) : null;
  let baseLoss: number | null = null;

  const evaluator = keepBatches ? new GatedEvaluator(resolved, plan, kept.map((b) => ({ x: b.x, y: b.y!, size: b.size })), lossOf!) : null;
  const evaluate = async (removals: Removals, metric: EvaluationMetric = 'loss'): Promise<number> => {
    if (evaluator === null) {
      throw new PruneError('INVALID_OPTION', `${where}: input.evaluate() is only available to criteria that declare the need 'evaluations'.`);
    }
    if (metric !== 'loss' && metric !== 'accuracy') throw new PruneError('INVALID_OPTION', `${where}: evaluate() measures 'loss' or 'accuracy'; got ${JSON.stringify(metric)}.`);
    return evaluator.evaluate(gateMask(resolved, plan, removals, where), metric);
  };
  if (evaluator !== null && data !== undefined && kept.length > 0) baseLoss = await evaluate({});

  const input: CriterionInput = {
    model,
    groups: groups.map((g) => ({ id: g.id, size: g.size, prunable: g.prunable, members: g.members.map((m) => ({ ...m })) })),
    producerWeights: (id) => views.producerWeights(id),
    batchNormScales: (id) => views.batchNormScales(id),
    stats,
    hessians: hessians === null ? null : hessians.result(),
    baseLoss,
    evaluate,
  };
  return {
    input,
    dispose: () => {
      evaluator?.dispose();
      kept.forEach(disposeBatch);
    },
  };
}
