import type * as tf from '@tensorflow/tfjs';

/** One application of a layer inside a model (a TF.js `Node`). */
export type LayerNode = tf.layers.Layer['inboundNodes'][number];

/** A tensor shape with the batch axis first; `null` marks an unknown size. */
export type Dims = ReadonlyArray<number | null>;

/**
 * The layer applications that make up `model`, found by walking back from its outputs to its
 * inputs. A layer applied several times in the model contributes one node per application;
 * applications of the same layer in other models (shared layers) are not included. Input layers
 * are not returned (the walk stops at the model's inputs).
 *
 * Internal helper of the metrics module.
 */
export function modelNodes(model: tf.LayersModel): LayerNode[] {
  const inputIds = new Set(model.inputs.map((t) => t.id));
  const seen = new Set<LayerNode>();
  const order: LayerNode[] = [];
  const stack: tf.SymbolicTensor[] = [...model.outputs];
  while (stack.length > 0) {
    const tensor = stack.pop()!;
    if (inputIds.has(tensor.id)) continue;
    const node = tensor.sourceLayer.inboundNodes[tensor.nodeIndex];
    if (node === undefined || seen.has(node)) continue;
    seen.add(node);
    order.push(node);
    stack.push(...node.inputTensors);
  }
  return order;
}

/**
 * Normalises a node's `inputShapes`/`outputShapes` (one shape, or a list of shapes for layers
 * with several inputs or outputs) to a list of shapes.
 */
export function shapeList(shapes: unknown): Dims[] {
  if (!Array.isArray(shapes) || shapes.length === 0) return [];
  return Array.isArray(shapes[0]) ? (shapes as Dims[]) : [shapes as Dims];
}
