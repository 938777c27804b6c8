import { PruneError } from '../errors';
import { weightShortName } from '../model/weight-short-name';
import type { ChannelRule } from './channel-rule';
import type { GraphNode, Shape } from './layer-graph';
import type { PrunableLayer } from './prunable-layer';

/** The channel axes of one weight of a custom layer (non-negative), `null` where none. */
export interface CustomWeightAxes {
  readonly input: number | null;
  readonly output: number | null;
}

/** How surgery edits a custom layer, resolved from its declaration and checked against it. */
export interface CustomSurgery {
  /** Config field holding the output channel count (producers), else `null`. */
  readonly sizeField: string | null;
  /** Per weight, in the order of `layer.weights`. */
  readonly weights: readonly CustomWeightAxes[];
}

const RULE_KEYS: Record<string, readonly string[]> = {
  elementwise: ['type', 'weights'],
  producer: ['type', 'sizeField', 'consumesInput', 'weights'],
  barrier: ['type', 'reason'],
};

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

const channelsOf = (shape: Shape | undefined): number | null => {
  const d = shape?.[shape.length - 1];
  return typeof d === 'number' ? d : null;
};

/**
 * Validates what a custom layer's `channelRule()` returns and turns it into the internal rule.
 * Throws `INVALID_LAYER_RULE` with what is wrong, what was expected and how to fix it.
 */
export function customChannelRule(node: GraphNode, layer: PrunableLayer): ChannelRule {
  const who = `Layer '${node.name}' (${node.className})`;
  const fail = (what: string, fix: string): never => {
    throw new PruneError(
      'INVALID_LAYER_RULE',
      `${who} declares a channel rule tfjs-prune cannot use: ${what}. ${fix} (see docs/guides/custom-layers.md).`,
    );
  };
  let declared: unknown;
  try {
    declared = layer.channelRule();
  } catch (e) {
    if (e instanceof PruneError) throw e;
    return fail(`its channelRule() threw: ${e instanceof Error ? e.message : String(e)}`, 'Make channelRule() return a rule without throwing');
  }
  if (!isPlainObject(declared) || typeof declared.type !== 'string' || !(declared.type in RULE_KEYS)) {
    return fail(
      `channelRule() returned ${JSON.stringify(declared) ?? String(declared)}`,
      "Expected an object whose type is 'elementwise', 'producer' or 'barrier'",
    );
  }
  const type = declared.type;
  const extra = Object.keys(declared).filter((k) => !RULE_KEYS[type].includes(k));
  if (extra.length > 0) {
    fail(`unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `'${k}'`).join(', ')} in a '${type}' rule`, `A '${type}' rule has only ${RULE_KEYS[type].map((k) => `'${k}'`).join(', ')}`);
  }

  if (type === 'barrier') {
    if (typeof declared.reason !== 'string' || declared.reason.trim() === '') {
      fail('a barrier rule without a reason', "Give a non-empty reason string, e.g. { type: 'barrier', reason: 'it sorts the channels' }");
    }
    return { type: 'barrier', reason: `layer '${node.name}' (${node.className}) is a barrier: ${declared.reason as string}` };
  }

  const inputs = node.inputShapes.length;
  const inChannels = channelsOf(node.inputShapes[0]);
  const outChannels = channelsOf(node.outputShapes[0]);
  const names = node.layer.weights.map((w) => weightShortName(w));
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) {
    fail(`two of its weights have the short name '${duplicate}'`, 'Give every weight of the layer its own name in addWeight()');
  }
  const listed = (weights: unknown, example: string): Record<string, unknown> => {
    if (weights === undefined && type === 'elementwise') weights = {};
    if (!isPlainObject(weights)) return fail(`'weights' is ${JSON.stringify(weights) ?? String(weights)}`, `Expected an object keyed by weight name, e.g. ${example}`);
    const unknown = Object.keys(weights).filter((k) => !names.includes(k));
    if (unknown.length > 0) {
      fail(
        `'weights' names ${unknown.map((k) => `'${k}'`).join(', ')}, which the layer does not have (its weights: ${names.length > 0 ? names.join(', ') : 'none'})`,
        'Use the names given to addWeight()',
      );
    }
    const missing = names.filter((n) => !(n in weights));
    if (missing.length > 0) {
      fail(
        `'weights' does not say how to cut ${missing.map((k) => `'${k}'`).join(', ')}`,
        `List every weight of the layer, e.g. ${example} (${type === 'elementwise' ? 'null' : '{}'} for a weight that does not depend on the channels)`,
      );
    }
    return weights;
  };
  const axis = (weight: string, role: string, value: unknown, size: number | null): number | null => {
    if (value === undefined || value === null) return null;
    const shape = node.layer.weights[names.indexOf(weight)].shape;
    const rank = shape.length;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < -rank || value >= rank) {
      return fail(`the ${role} axis of weight '${weight}' is ${JSON.stringify(value)}`, `Expected an integer axis in [${-rank}, ${rank - 1}] (its shape is [${shape.join(', ')}])`);
    }
    const a = value < 0 ? rank + value : value;
    if (shape[a] !== size) {
      fail(
        `weight '${weight}' has ${shape[a]} entries on its ${role} axis ${value} (shape [${shape.join(', ')}]) but the layer has ${size ?? 'an unknown number of'} ${role} channels`,
        `Point the ${role} axis at the axis with one entry per ${role} channel`,
      );
    }
    return a;
  };

  if (type === 'elementwise') {
    if (inputs !== 1) fail(`an elementwise layer must have exactly one input, this one has ${inputs}`, "Declare it a 'barrier' instead");
    if (inChannels === null || inChannels !== outChannels) {
      fail(`an elementwise layer keeps its channel count, but it maps ${inChannels ?? '?'} input channels to ${outChannels ?? '?'} output channels`, "Declare it a 'producer' (it makes its own channels) or a 'barrier'");
    }
    const weights = listed(declared.weights, '{ scale: -1 }');
    const axes = names.map((n): CustomWeightAxes => ({ input: axis(n, 'channel', weights[n], inChannels), output: null }));
    return { type: 'elementwise', custom: { sizeField: null, weights: axes } };
  }

  // Producer.
  const { sizeField, consumesInput = true } = declared;
  if (typeof sizeField !== 'string' || sizeField === '') {
    fail(`'sizeField' is ${JSON.stringify(sizeField) ?? 'missing'}`, "Name the getConfig() field that holds the output channel count, e.g. sizeField: 'units'");
  }
  if (typeof consumesInput !== 'boolean') fail(`'consumesInput' is ${JSON.stringify(consumesInput)}`, 'Expected true, false or no key (true)');
  const field = sizeField as string;
  const config = node.layer.getConfig() as Record<string, unknown>;
  if (config[field] !== outChannels) {
    fail(
      `its getConfig().${field} is ${JSON.stringify(config[field]) ?? 'missing'} but its output has ${outChannels ?? 'an unknown number of'} channels`,
      `Return the output channel count as '${field}' from getConfig() (surgery writes the new count there and rebuilds the layer from it)`,
    );
  }
  if (consumesInput && inputs !== 1) {
    fail(`a producer that consumes its input must have exactly one input, this one has ${inputs}`, 'Set consumesInput: false (its inputs are then locked) or declare it a barrier');
  }
  const weights = listed(declared.weights, '{ kernel: { input: 0, output: 1 }, bias: { output: 0 } }');
  const axes = names.map((n): CustomWeightAxes => {
    const spec = weights[n];
    if (!isPlainObject(spec) || Object.keys(spec).some((k) => k !== 'input' && k !== 'output')) {
      return fail(`the axes of weight '${n}' are ${JSON.stringify(spec)}`, "Expected { input?: axis, output?: axis }, e.g. { input: 0, output: 1 }, or {} for a weight that does not depend on the channels");
    }
    if (!consumesInput && spec.input !== undefined) fail(`weight '${n}' has an input axis but consumesInput is false`, 'Remove the input axis or set consumesInput: true');
    const input = axis(n, 'input', spec.input, inChannels);
    const output = axis(n, 'output', spec.output, outChannels);
    if (input !== null && input === output) fail(`weight '${n}' uses axis ${input} for both input and output channels`, 'Give two different axes');
    return { input, output };
  });
  return {
    type: 'producer',
    consumesInput: consumesInput as boolean,
    ...(consumesInput ? {} : { inputLockReason: `layer '${node.name}' (${node.className}) declares that it does not consume its input channels, so they cannot be removed` }),
    custom: { sizeField: field, weights: axes },
  };
}
