import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { foldBatchNorm } from '../../src/deploy/fold-batch-norm';
import { seededRandom } from '../../src/util/seeded-random';
import { input } from '../helpers/arange';
import { expectClose, predictAll } from '../helpers/expect-close';
import { expectPruneError } from '../helpers/expect-prune-error';

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/** Gives every weight of the model seeded random values; BN variances in [0.2, 2.2), gammas in [0.5, 2). */
function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const random = seededRandom(seed);
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const values = layer.weights.map((w) => {
      const n = w.shape.reduce<number>((a, b) => a * (b ?? 1), 1);
      const name = w.originalName ?? w.name;
      const draw = name.includes('variance') ? () => 0.2 + 2 * random() : name.includes('gamma') ? () => 0.5 + 1.5 * random() : () => 2 * random() - 1;
      return tf.tensor(Float32Array.from({ length: n }, draw), w.shape as number[]);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** Every supported producer followed by a BN, with and without bias, center and scale. */
function foldableModel(): tf.LayersModel {
  const x = tf.input({ shape: [6, 6, 3] });
  let h = apply(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false, name: 'conv' }), x);
  h = apply(tf.layers.batchNormalization({ name: 'bn_conv' }), h);
  h = apply(tf.layers.reLU({ name: 'relu' }), h);
  h = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', name: 'dw' }), h);
  h = apply(tf.layers.batchNormalization({ center: false, epsilon: 0.01, name: 'bn_dw' }), h);
  h = apply(tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'sep' }), h);
  h = apply(tf.layers.batchNormalization({ scale: false, name: 'bn_sep' }), h);
  h = apply(tf.layers.conv2dTranspose({ filters: 3, kernelSize: 2, strides: 2, name: 'up' }), h);
  h = apply(tf.layers.batchNormalization({ name: 'bn_up' }), h);
  h = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), h);
  h = apply(tf.layers.dense({ units: 4, name: 'fc' }), h);
  const y = apply(tf.layers.batchNormalization({ name: 'bn_fc' }), h);
  return tf.model({ inputs: x, outputs: y });
}

/** BNs that cannot be folded, each for a different reason, next to one that can. */
function mixedModel(): tf.LayersModel {
  const x = tf.input({ shape: [5, 5, 2] });
  const bnIn = apply(tf.layers.batchNormalization({ name: 'bn_input' }), x);
  const a = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'a' }), bnIn);
  const b = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'b' }), bnIn);
  const bnB = apply(tf.layers.batchNormalization({ name: 'bn_b' }), b); // b's raw output is also read by 'sum'
  const sum = apply(tf.layers.add({ name: 'sum' }), [a, b]);
  const bnSum = apply(tf.layers.batchNormalization({ name: 'bn_sum' }), sum);
  const r = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu', name: 'r' }), bnSum);
  const bnR = apply(tf.layers.batchNormalization({ name: 'bn_relu' }), r);
  const c = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'c' }), bnR);
  const d = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'd' }), apply(tf.layers.concatenate({ name: 'cat' }), [c, bnB]));
  const bnD = apply(tf.layers.batchNormalization({ name: 'bn_d' }), d);
  const y = apply(tf.layers.flatten({ name: 'flat' }), bnD);
  return tf.model({ inputs: x, outputs: y });
}

function weightsOf(model: tf.LayersModel): number[][] {
  return model.getWeights().map((w) => Array.from(w.dataSync()));
}

async function roundTrip(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
  return tf.loadLayersModel(tf.io.fromMemory(saved!));
}

describe('foldBatchNorm', () => {
  test('folds BN after Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose and Dense; outputs equal to 1e-5', async () => {
    const model = foldableModel();
    randomizeWeights(model, 3);
    const before = tf.memory().numTensors;
    const config = JSON.stringify(model.getConfig());
    const weights = weightsOf(model);

    const { model: folded, folded: merged, unfolded } = foldBatchNorm(model);
    expect(merged).toEqual([
      { batchNorm: 'bn_conv', into: 'conv' },
      { batchNorm: 'bn_dw', into: 'dw' },
      { batchNorm: 'bn_sep', into: 'sep' },
      { batchNorm: 'bn_up', into: 'up' },
      { batchNorm: 'bn_fc', into: 'fc' },
    ]);
    expect(unfolded).toEqual([]);
    expect(folded.layers.map((l) => l.getClassName())).not.toContain('BatchNormalization');
    expect(folded.layers.map((l) => l.name)).toEqual(['input1', 'conv', 'relu', 'dw', 'sep', 'up', 'gap', 'fc'].map((n, i) => (i === 0 ? model.layers[0].name : n)));
    // The conv had no bias: it has one now. Params: the BNs' 4 (or 3) per channel are gone, conv gains 4 biases.
    expect((folded.getLayer('conv').getConfig() as { useBias: boolean }).useBias).toBe(true);
    expect(folded.countParams()).toBe(model.countParams() - (4 * 4 + 3 * 8 + 3 * 5 + 4 * 3 + 4 * 4) + 4);

    const x = input([3, 6, 6, 3], 11);
    tf.tidy(() => expectClose(predictAll(folded, x)[0], predictAll(model, x)[0], 1e-5, 0));
    // The input model is untouched.
    expect(JSON.stringify(model.getConfig())).toBe(config);
    expect(weightsOf(model)).toEqual(weights);

    // An ordinary model: toJSON -> modelFromJSON gives the same topology; save/load gives the same outputs.
    const json = folded.toJSON(null, false) as tf.io.ModelJSON['modelTopology'];
    const fromJSON = await tf.models.modelFromJSON({ modelTopology: json });
    fromJSON.setWeights(folded.getWeights());
    tf.tidy(() => expectClose(predictAll(fromJSON, x)[0], predictAll(folded, x)[0], 0, 0));
    fromJSON.dispose();
    const loaded = await roundTrip(folded);
    tf.tidy(() => expectClose(predictAll(loaded, x)[0], predictAll(folded, x)[0], 0, 0));
    loaded.dispose();
    x.dispose();
    folded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  test('folded values equal the hand-computed scale and shift (Dense, no gamma)', () => {
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [2], units: 2, name: 'd' }),
        tf.layers.batchNormalization({ scale: false, epsilon: 0.25, name: 'bn' }),
        tf.layers.dense({ units: 1, name: 'out' }),
      ],
    });
    const set = (name: string, values: number[][]): void => {
      const ts = values.map((v, i) => tf.tensor(v, model.getLayer(name).weights[i].shape as number[]));
      model.getLayer(name).setWeights(ts);
      tf.dispose(ts);
    };
    set('d', [[1, 2, 3, 4], [0.5, -1]]); // kernel [[1, 2], [3, 4]], bias [0.5, -1]
    set('bn', [[10, 20], [1, 3], [3.75, 0.75]]); // beta, mean, variance: sqrt(var + 0.25) = [2, 1]
    const { model: folded, folded: merged } = foldBatchNorm(model);
    expect(merged).toEqual([{ batchNorm: 'bn', into: 'd' }]);
    const [kernel, bias] = folded.getLayer('d').getWeights();
    // s = [1/2, 1]; kernel columns scaled by s; bias = (b - mean) * s + beta = [(0.5 - 1) / 2 + 10, (-1 - 3) + 20].
    expect(Array.from(kernel.dataSync())).toEqual([0.5, 2, 1.5, 4]);
    expect(Array.from(bias.dataSync())).toEqual([9.75, 16]);
    expect(folded.layers.map((l) => l.name)).toEqual(['d', 'out']);
    folded.dispose();
    model.dispose();
  });

  test('lists every BN it cannot fold with the reason, folds the rest, outputs equal', () => {
    const model = mixedModel();
    randomizeWeights(model, 5);
    const before = tf.memory().numTensors;
    const { model: folded, folded: merged, unfolded } = foldBatchNorm(model);
    expect(merged).toEqual([
      { batchNorm: 'bn_d', into: 'd' },
    ]);
    const reasons = Object.fromEntries(unfolded.map((u) => [u.layer, u.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['bn_b', 'bn_input', 'bn_relu', 'bn_sum']);
    expect(reasons.bn_input).toContain('model input');
    expect(reasons.bn_b).toContain("also read by 'sum'");
    expect(reasons.bn_sum).toContain("follows a Add ('sum')");
    expect(reasons.bn_relu).toContain("'r' applies activation 'relu'");
    const x = input([2, 5, 5, 2], 4);
    tf.tidy(() => expectClose(predictAll(folded, x)[0], predictAll(model, x)[0], 1e-5, 0));
    x.dispose();
    folded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  test('a shared BN is kept (no tensor check: TF.js leaves a shared layer\'s weights alive on model.dispose())', () => {
    const x = tf.input({ shape: [4, 4, 3] });
    const shared = tf.layers.batchNormalization({ name: 'bn_shared' });
    const c = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'c' }), x);
    const model = tf.model({ inputs: x, outputs: apply(tf.layers.add(), [apply(shared, c), apply(shared, x)]) });
    randomizeWeights(model, 8);
    const r = foldBatchNorm(model);
    expect(r.folded).toEqual([]);
    expect(r.unfolded).toEqual([{ layer: 'bn_shared', reason: 'it is shared (applied 2 times), so no single layer before it can absorb it' }]);
    const xs = input([2, 4, 4, 3], 3);
    tf.tidy(() => expectClose(predictAll(r.model, xs)[0], predictAll(model, xs)[0], 1e-5, 0));
    xs.dispose();
    r.model.dispose();
    model.dispose();
  });

  test('a BN that is a model output, and a BN inside a nested model', () => {
    const inner = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 3, name: 'in_d' }), tf.layers.batchNormalization({ name: 'in_bn' })] });
    const x = tf.input({ shape: [3] });
    const d = apply(tf.layers.dense({ units: 3, name: 'outer_d' }), apply(inner, x));
    const bn = apply(tf.layers.batchNormalization({ name: 'outer_bn' }), d);
    const model = tf.model({ inputs: x, outputs: [bn, apply(tf.layers.dense({ units: 1, name: 'head' }), bn)] });
    randomizeWeights(model, 9);
    const { model: folded, folded: merged, unfolded } = foldBatchNorm(model);
    expect(merged).toEqual([{ batchNorm: 'outer_bn', into: 'outer_d' }]);
    expect(unfolded).toEqual([{ layer: `${inner.name}/in_bn`, reason: `it is inside the nested model '${inner.name}'; nested models are not folded` }]);
    const xs = input([4, 3], 2);
    tf.tidy(() => {
      const [a, b] = predictAll(folded, xs);
      const [ea, eb] = predictAll(model, xs);
      expectClose(a, ea, 1e-5, 0);
      expectClose(b, eb, 1e-5, 0);
    });
    xs.dispose();
    folded.dispose();
    model.dispose();
  });

  test('Conv1D; channelsFirst and a BN on another axis are kept', () => {
    const x1 = tf.input({ shape: [7, 2] });
    const m1 = tf.model({ inputs: x1, outputs: apply(tf.layers.batchNormalization({ name: 'bn1' }), apply(tf.layers.conv1d({ filters: 3, kernelSize: 3, name: 'c1' }), x1)) });
    const xf = tf.input({ shape: [2, 5, 5] });
    const cf = apply(tf.layers.conv2d({ filters: 3, kernelSize: 3, dataFormat: 'channelsFirst', name: 'cf' }), xf);
    const mf = tf.model({ inputs: xf, outputs: apply(tf.layers.batchNormalization({ axis: 1, name: 'bnf' }), cf) });
    const xw = tf.input({ shape: [5, 5, 2] });
    const cw = apply(tf.layers.conv2d({ filters: 3, kernelSize: 1, name: 'cw' }), xw);
    const mw = tf.model({ inputs: xw, outputs: apply(tf.layers.batchNormalization({ axis: 1, name: 'bnw' }), cw) });
    const cases: Array<[tf.LayersModel, number[], string[]]> = [
      [m1, [2, 7, 2], ['bn1']],
      [mf, [2, 2, 5, 5], []],
      [mw, [2, 5, 5, 2], []],
    ];
    cases.forEach(([m, shape, expected], i) => {
      randomizeWeights(m, 20 + i);
      const r = foldBatchNorm(m);
      expect(r.folded.map((f) => f.batchNorm)).toEqual(expected);
      if (m === mw) expect(r.unfolded[0].reason).toBe("it normalises axis 1, not the channel axis (3) of 'cw'");
      if (m === mf) expect(r.unfolded[0].reason).toContain("'cf' writes channels first");
      const x = input(shape, i);
      tf.tidy(() => expectClose(predictAll(r.model, x)[0], predictAll(m, x)[0], 1e-5, 0));
      x.dispose();
      r.model.dispose();
      m.dispose();
    });
  });

  test('property: producer -> BN (-> ReLU) equals the original for random kinds, options and statistics', () => {
    const kinds = ['dense', 'conv1d', 'conv2d', 'depthwise', 'separable', 'transpose'] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        (kind, useBias, center, scale, relu, width, seed) => {
          const shape = kind === 'dense' ? [3] : kind === 'conv1d' ? [5, 2] : [4, 4, 2];
          const x = tf.input({ shape });
          const producer = {
            dense: () => tf.layers.dense({ units: width, useBias }),
            conv1d: () => tf.layers.conv1d({ filters: width, kernelSize: 2, useBias }),
            conv2d: () => tf.layers.conv2d({ filters: width, kernelSize: 2, useBias }),
            depthwise: () => tf.layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: width, useBias }),
            separable: () => tf.layers.separableConv2d({ filters: width, kernelSize: 2, useBias }),
            transpose: () => tf.layers.conv2dTranspose({ filters: width, kernelSize: 2, strides: 2, useBias }),
          }[kind]();
          let h = apply(tf.layers.batchNormalization({ center, scale, epsilon: 1e-3 }), apply(producer, x));
          if (relu) h = apply(tf.layers.reLU(), h);
          const model = tf.model({ inputs: x, outputs: apply(tf.layers.dense({ units: 2 }), kind === 'dense' ? h : apply(tf.layers.flatten(), h)) });
          randomizeWeights(model, seed);
          const before = tf.memory().numTensors;
          const r = foldBatchNorm(model);
          expect(r.folded).toHaveLength(1);
          expect(r.model.layers.some((l) => l.getClassName() === 'BatchNormalization')).toBe(false);
          const xs = input([2, ...shape], seed);
          tf.tidy(() => expectClose(predictAll(r.model, xs)[0], predictAll(model, xs)[0], 1e-5, 1e-6));
          xs.dispose();
          r.model.dispose();
          expect(tf.memory().numTensors).toBe(before);
          model.dispose();
        },
      ),
      { numRuns: 30, seed: 15 },
    );
  });

  test('refuses what is not a LayersModel', () => {
    expectPruneError(() => foldBatchNorm({} as tf.LayersModel), 'NOT_A_LAYERS_MODEL', 'tf.LayersModel');
  });
});

test('foldBatchNorm: Conv3D (TF.js BatchNormalization cannot run on rank 5, so the reference is computed with tf ops)', () => {
  const x = tf.input({ shape: [3, 4, 4, 2] });
  const conv = tf.layers.conv3d({ filters: 2, kernelSize: 2, name: 'c3' });
  const model = tf.model({ inputs: x, outputs: apply(tf.layers.batchNormalization({ epsilon: 0.01, name: 'bn3' }), apply(conv, x)) });
  randomizeWeights(model, 31);
  const r = foldBatchNorm(model);
  expect(r.folded).toEqual([{ batchNorm: 'bn3', into: 'c3' }]);
  const xs = input([2, 3, 4, 4, 2], 6);
  tf.tidy(() => {
    const [gamma, beta, mean, variance] = model.getLayer('bn3').getWeights();
    const z = conv.apply(xs) as tf.Tensor;
    const expected = z.sub(mean).div(variance.add(0.01).sqrt()).mul(gamma).add(beta);
    expectClose(predictAll(r.model, xs)[0], expected, 1e-5, 0);
  });
  xs.dispose();
  r.model.dispose();
  model.dispose();
});
