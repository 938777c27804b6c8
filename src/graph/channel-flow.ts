import type { GraphNode, LayerGraph } from './layer-graph';
import { channelRule, type ChannelRule } from './channel-rule';
import { UnionFind } from './union-find';

/** Marks a channel that belongs to no producer (a model input, a barrier's output). */
export const OPAQUE = -1;

/**
 * Where every channel of every tensor comes from. Each producer creates one *atom* per output
 * channel; every tensor's channel map lists, per channel position, the atom it carries (or
 * `OPAQUE`). Merges join atoms into *classes* (channels that must leave together); barriers and
 * model outputs *lock* classes.
 */
export interface ChannelFlow {
  readonly graph: LayerGraph;
  readonly rules: ChannelRule[];
  /** Channel map of every tensor, by tensor key. */
  readonly maps: Map<string, Int32Array>;
  /** Index into `graph.nodes` of the producer of each atom. */
  readonly atomNode: number[];
  /** Output channel of its producer that each atom is. */
  readonly atomChannel: number[];
  readonly classes: UnionFind;
  /** Why the class of `atom` cannot be removed (every distinct reason, in the order found). */
  lockReasons(atom: number): string[];
}

function lastDim(shape: Array<number | null>): number {
  const d = shape[shape.length - 1];
  return typeof d === 'number' ? d : 0;
}

function opaque(n: number): Int32Array {
  return new Int32Array(n).fill(OPAQUE);
}

/** Propagates channel maps through the graph in topological order. */
export function traceChannels(graph: LayerGraph): ChannelFlow {
  const classes = new UnionFind();
  const locks = new Map<number, string[]>();
  const atomNode: number[] = [];
  const atomChannel: number[] = [];
  const maps = new Map<string, Int32Array>();
  const rules: ChannelRule[] = [];

  const lock = (atom: number, reason: string): void => {
    if (atom === OPAQUE) return;
    const root = classes.find(atom);
    const reasons = locks.get(root) ?? [];
    if (!reasons.includes(reason)) reasons.push(reason);
    locks.set(root, reasons);
  };
  const join = (a: number, b: number): void => {
    const ra = classes.find(a);
    const rb = classes.find(b);
    if (ra === rb) return;
    const reasons = [...new Set([...(locks.get(ra) ?? []), ...(locks.get(rb) ?? [])])];
    const root = classes.union(ra, rb);
    locks.delete(ra);
    locks.delete(rb);
    if (reasons.length > 0) locks.set(root, reasons);
  };
  const mapOf = (key: string, shape: Array<number | null>): Int32Array => maps.get(key) ?? opaque(lastDim(shape));

  graph.nodes.forEach((node: GraphNode, nodeIndex: number) => {
    const rule = channelRule(node);
    rules.push(rule);
    const ins = node.inputs.map((k, i) => mapOf(k, node.inputShapes[i]));
    const outWidth = lastDim(node.outputShapes[0]);
    let out: Int32Array;
    switch (rule.type) {
      case 'input':
        out = opaque(outWidth);
        break;
      case 'producer': {
        const { inputLockReason } = rule;
        if (inputLockReason) ins.forEach((m) => m.forEach((a) => lock(a, inputLockReason)));
        out = new Int32Array(outWidth);
        for (let c = 0; c < outWidth; c++) {
          out[c] = classes.add();
          atomNode.push(nodeIndex);
          atomChannel.push(c);
          if (rule.lockReason) lock(out[c], rule.lockReason);
        }
        break;
      }
      case 'elementwise':
        out = ins[0];
        break;
      case 'depthwise': {
        const m = rule.multiplier;
        out = new Int32Array(ins[0].length * m);
        ins[0].forEach((atom, c) => out.fill(atom, c * m, c * m + m));
        break;
      }
      case 'flatten': {
        const width = ins[0].length;
        out = new Int32Array(outWidth);
        for (let f = 0; f < outWidth; f++) out[f] = width > 0 ? ins[0][f % width] : OPAQUE;
        break;
      }
      case 'merge': {
        out = new Int32Array(outWidth);
        for (let c = 0; c < outWidth; c++) {
          const atoms = ins.map((m) => m[c]);
          const real = atoms.filter((a) => a !== OPAQUE);
          out[c] = real.length > 0 ? real[0] : OPAQUE;
          if (real.length < atoms.length) {
            real.forEach((a) => lock(a, `'${node.name}' (${node.className}) combines it with channels that cannot be removed (a model input or a barrier)`));
          }
          for (let i = 1; i < real.length; i++) join(real[0], real[i]);
        }
        break;
      }
      case 'concat': {
        out = new Int32Array(ins.reduce((n, m) => n + m.length, 0));
        let offset = 0;
        for (const m of ins) {
          out.set(m, offset);
          offset += m.length;
        }
        break;
      }
      case 'barrier':
        ins.forEach((m) => m.forEach((a) => lock(a, rule.reason)));
        node.outputs.forEach((k, i) => maps.set(k, opaque(lastDim(node.outputShapes[i]))));
        return;
    }
    maps.set(node.outputs[0], out);
  });

  for (const key of graph.outputs) {
    const layer = key.split('/').slice(0, -2).join('/');
    maps.get(key)?.forEach((a) => lock(a, `it reaches the model output '${layer}'; model outputs are never pruned`));
  }

  return {
    graph,
    rules,
    maps,
    atomNode,
    atomChannel,
    classes,
    lockReasons: (atom: number) => locks.get(classes.find(atom)) ?? [],
  };
}
