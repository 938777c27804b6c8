import type * as tf from '@tensorflow/tfjs';
import { modelNodes, shapeList, type Dims, type LayerNode } from './model-nodes';

/** The input and output shapes of one layer application (batch axis first). */
export interface NodeShapes {
  inputShapes: Dims[];
  outputShapes: Dims[];
}

/** A computed shape is taken when it agrees with every size the graph fixes; else the graph's shape. */
function merge(computed: Dims | undefined, fixed: Dims): Dims {
  if (computed === undefined || computed.length !== fixed.length) return fixed;
  const agrees = fixed.every((d, i) => d === null || d === undefined || d === computed[i]);
  return agrees ? computed.map((d, i) => (i === 0 ? null : d ?? null)) : fixed;
}

/**
 * The shapes of every layer application of `model` when its inputs have the given shapes (batch
 * axis first, `null` for the batch), propagated from the inputs in topological order with each
 * layer's own `computeOutputShape`. Nothing runs and no tensor is created. Where a layer's
 * computed shape contradicts a size the model's graph fixes (a custom layer that does not
 * implement `computeOutputShape`), or it throws, the graph's own shape is kept (unknown sizes stay
 * `null`, so such layers are not counted rather than miscounted).
 *
 * Internal helper of the metrics module.
 */
export function nodeShapesAt(model: tf.LayersModel, inputs: readonly Dims[]): Map<LayerNode, NodeShapes> {
  const known = new Map<number, Dims>();
  model.inputs.forEach((t, i) => known.set(t.id, inputs[i]!));
  const nodes = modelNodes(model);
  const inModel = new Set(nodes);
  const inputIds = new Set(model.inputs.map((t) => t.id));
  const producer = (t: tf.SymbolicTensor): LayerNode | undefined => {
    if (inputIds.has(t.id)) return undefined;
    const node = t.sourceLayer.inboundNodes[t.nodeIndex];
    return node !== undefined && inModel.has(node) ? node : undefined;
  };
  const out = new Map<LayerNode, NodeShapes>();
  const compute = (node: LayerNode): void => {
    const staticIn = shapeList(node.inputShapes);
    const inputShapes = node.inputTensors.map((t, i) => known.get(t.id) ?? staticIn[i] ?? t.shape);
    const staticOut = shapeList(node.outputShapes);
    let computed: Dims[] = [];
    try {
      const arg = inputShapes.length === 1 ? [...inputShapes[0]!] : inputShapes.map((s) => [...s]);
      computed = shapeList(node.outboundLayer.computeOutputShape(arg as tf.Shape | tf.Shape[]));
    } catch {
      computed = [];
    }
    const outputShapes = node.outputTensors.map((t, i) => merge(computed[i], staticOut[i] ?? t.shape));
    node.outputTensors.forEach((t, i) => known.set(t.id, outputShapes[i]!));
    out.set(node, { inputShapes, outputShapes });
  };
  const visited = new Set<LayerNode>();
  // Iterative post-order walk from the outputs: a node is computed after everything it reads.
  for (const root of [...model.outputs].map(producer)) {
    if (root === undefined) continue;
    const stack: Array<[LayerNode, boolean]> = [[root, false]];
    while (stack.length > 0) {
      const [node, ready] = stack.pop()!;
      if (ready) {
        compute(node);
        continue;
      }
      if (visited.has(node)) continue;
      visited.add(node);
      stack.push([node, true]);
      for (const t of node.inputTensors) {
        const p = producer(t);
        if (p !== undefined && !visited.has(p)) stack.push([p, false]);
      }
    }
  }
  return out;
}
