import type * as tf from '@tensorflow/tfjs';
import { PruneError } from '../errors';

/** A tensor shape with `null` for the batch (and any unknown) dimension. */
export type Shape = Array<number | null>;

/** One application of a layer inside the model: a node of the layer graph. */
export interface GraphNode {
  /** Layer name; unique inside a model. */
  readonly name: string;
  /** Keras class name, e.g. `'Conv2D'`. */
  readonly className: string;
  /** The user's live layer. Read only: never write to it. */
  readonly layer: tf.layers.Layer;
  /** Keys of the tensors this node reads, in call order. */
  readonly inputs: string[];
  /** Keys of the tensors this node writes (one per output). */
  readonly outputs: string[];
  readonly inputShapes: Shape[];
  readonly outputShapes: Shape[];
  /** How many times the layer is applied inside this model (more than 1: a shared layer). */
  readonly callCount: number;
}

/** The model as a list of layer applications in topological order. */
export interface LayerGraph {
  readonly nodes: GraphNode[];
  /** Keys of the model's input tensors. */
  readonly inputs: Set<string>;
  /** Keys of the model's output tensors. */
  readonly outputs: Set<string>;
}

// Internal fields of tfjs-layers' Node and Container that the public typings do not expose.
interface LiveNode {
  inboundLayers: tf.layers.Layer[];
  nodeIndices: number[];
  tensorIndices: number[];
  inputShapes: Shape | Shape[];
  outputShapes: Shape | Shape[];
}
interface LiveContainer {
  containerNodes: Set<string>;
  inputLayers: tf.layers.Layer[];
  outputLayers: tf.layers.Layer[];
  outputLayersNodeIndices: number[];
  outputLayersTensorIndices: number[];
}

const tensorKey = (layerName: string, nodeIndex: number, tensorIndex: number): string =>
  `${layerName}/${nodeIndex}/${tensorIndex}`;

function shapeList(s: Shape | Shape[]): Shape[] {
  return s.length > 0 && Array.isArray(s[0]) ? (s as Shape[]) : [s as Shape];
}

function liveNodes(layer: tf.layers.Layer): LiveNode[] {
  return (layer as unknown as { inboundNodes: LiveNode[] }).inboundNodes;
}

function makeNode(layer: tf.layers.Layer, nodeIndex: number, callCount: number): GraphNode {
  const node = liveNodes(layer)[nodeIndex];
  const outputShapes = shapeList(node.outputShapes);
  return {
    name: layer.name,
    className: layer.getClassName(),
    layer,
    inputs: node.inboundLayers.map((l, i) => tensorKey(l.name, node.nodeIndices[i], node.tensorIndices[i])),
    outputs: outputShapes.map((_, t) => tensorKey(layer.name, nodeIndex, t)),
    inputShapes: node.inboundLayers.length === 0 ? [] : shapeList(node.inputShapes),
    outputShapes,
    callCount,
  };
}

/**
 * A Sequential is a chain. It is read backwards from the model's output through the nodes that
 * belong to this model: a layer shared with another model (a Sequential built from another
 * model's layers) has one node per model, and only this model's node counts.
 */
function sequentialGraph(model: tf.LayersModel): LayerGraph {
  const output = model.outputs[0] as unknown as { sourceLayer: tf.layers.Layer; nodeIndex: number };
  const chain: GraphNode[] = [];
  let layer = output.sourceLayer;
  let nodeIndex = output.nodeIndex;
  for (;;) {
    const live = liveNodes(layer)[nodeIndex];
    if (live === undefined) {
      throw new PruneError('INTERNAL', `Could not find node ${nodeIndex} of Sequential layer '${layer.name}'.`);
    }
    if (live.inboundLayers.length === 0) break; // the input layer
    chain.unshift(makeNode(layer, nodeIndex, 1));
    nodeIndex = live.nodeIndices[0];
    layer = live.inboundLayers[0];
  }
  if (chain.length === 0) throw new PruneError('INTERNAL', `Sequential model '${model.name}' has no layer between its input and output.`);
  const last = chain[chain.length - 1];
  return { nodes: chain, inputs: new Set([chain[0].inputs[0]]), outputs: new Set(last.outputs) };
}

function functionalGraph(model: tf.LayersModel): LayerGraph {
  const c = model as unknown as LiveContainer;
  const nodes: GraphNode[] = [];
  for (const layer of model.layers) {
    const indices = liveNodes(layer)
      .map((_, i) => i)
      .filter((i) => c.containerNodes.has(`${layer.name}_ib-${i}`));
    for (const i of indices) nodes.push(makeNode(layer, i, indices.length));
  }
  // model.layers is sorted by depth, but nodes of a shared layer may appear before their inputs:
  // order the nodes so every tensor is written before it is read.
  const written = new Set<string>();
  const ordered: GraphNode[] = [];
  let pending = nodes;
  while (pending.length > 0) {
    const next: GraphNode[] = [];
    for (const n of pending) {
      if (n.inputs.every((k) => written.has(k))) {
        ordered.push(n);
        n.outputs.forEach((k) => written.add(k));
      } else next.push(n);
    }
    if (next.length === pending.length) {
      throw new PruneError('INTERNAL', `The layer graph of '${model.name}' has a cycle or a dangling input at '${next[0].name}'.`);
    }
    pending = next;
  }
  const inputs = new Set(c.inputLayers.map((l) => tensorKey(l.name, 0, 0)));
  const outputs = new Set(
    c.outputLayers.map((l, i) => tensorKey(l.name, c.outputLayersNodeIndices[i], c.outputLayersTensorIndices[i])),
  );
  return { nodes: ordered, inputs, outputs };
}

/**
 * Reads the layer graph of a LayersModel without modifying it: one node per layer application,
 * in topological order, with the shapes each application sees.
 */
export function buildLayerGraph(model: tf.LayersModel): LayerGraph {
  return model.getClassName() === 'Sequential' ? sequentialGraph(model) : functionalGraph(model);
}
