import * as tf from '@tensorflow/tfjs';
import { saveQuantized } from '../../src/deploy/save-quantized';
import type { PruneIterativelyOptions } from '../../src/loop/loop-config';
import { countParams } from '../../src/metrics/count-params';
import { storedSize } from '../../src/metrics/stored-size';
import { pruneIteratively } from '../../src/prune-iteratively';
import { anyOf } from '../../src/stopping/any-of';
import { maxSteps } from '../../src/stopping/max-steps';
import { targetSize } from '../../src/stopping/target-size';
import { expectPruneErrorAsync } from '../helpers/expect-prune-error';
import { pretrain, task, weightsOf } from './fixtures';

jest.setTimeout(120000);

/** Dense 8 -> 64 -> BN -> relu -> 64 -> BN -> relu -> 3: two foldable BNs, kernels big enough to quantize. */
function mlpWithBatchNorm(): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: 40 + s });
  return tf.sequential({
    name: 'mlp_bn',
    layers: [
      tf.layers.dense({ inputShape: [8], units: 64, name: 'h1', kernelInitializer: init(1) }),
      tf.layers.batchNormalization({ name: 'bn1' }),
      tf.layers.reLU({ name: 'r1' }),
      tf.layers.dense({ units: 64, name: 'h2', kernelInitializer: init(2) }),
      tf.layers.batchNormalization({ name: 'bn2' }),
      tf.layers.reLU({ name: 'r2' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'out', kernelInitializer: init(3) }),
    ],
  });
}

/** Accuracy of `model` on (x, y), computed here (independent of the loop's evaluation). */
function accuracyOf(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(-1).equal(y.argMax(-1)).mean().dataSync()[0]);
}

describe('pruneIteratively: objective size, targetSize and the deploy step', () => {
  let data: ReturnType<typeof task>;
  let model: tf.Sequential;
  let compile: PruneIterativelyOptions['compile'];
  beforeAll(async () => {
    data = task();
    model = mlpWithBatchNorm();
    await pretrain(model, data.xTrain, data.yTrain, 10);
    compile = { optimizer: () => tf.train.adam(0.003), loss: 'categoricalCrossentropy', metrics: ['accuracy'] };
  });
  afterAll(() => {
    model.dispose();
    tf.dispose(data);
  });
  const d = () => ({ train: { x: data.xTrain, y: data.yTrain }, validation: { x: data.xVal, y: data.yVal } });

  test('stops at the stored-size target at uint8, returns the folded model, reports what saveQuantized writes', async () => {
    const before = weightsOf(model);
    const tensors = tf.memory().numTensors;
    const { model: small, report } = await pruneIteratively(model, d(), {
      compile,
      objective: 'size',
      stop: anyOf(targetSize(0.3), maxSteps(30)),
      schedule: { channelsPerStep: { fraction: 0.1 } },
      fineTune: { steps: 5, batchSize: 32 },
      deploy: { dtype: 'uint8' },
    });
    const json = report.toJSON();
    expect(json.objective).toBe('size');
    expect(json.stoppedBy).toBe('targetSize(0.3)');
    // Bytes at float32 of the original; each step's bytes at float32 and at uint8, from storedSize.
    expect(json.baseline.bytes).toBe(storedSize(model).bytes);
    const last = json.steps[json.steps.length - 1];
    expect(last.bytesQuantized! / json.baseline.bytes!).toBeLessThanOrEqual(0.3);
    expect(json.steps[json.steps.length - 2].bytesQuantized! / json.baseline.bytes!).toBeGreaterThan(0.3);
    for (const s of json.steps) expect(s.bytesQuantized!).toBeLessThan(s.bytes!);

    // The deploy step: both BNs folded; the returned model is the folded, compiled one.
    const dep = json.deploy!;
    expect(dep.folded).toEqual([
      { batchNorm: 'bn1', into: 'h1' },
      { batchNorm: 'bn2', into: 'h2' },
    ]);
    expect(dep.unfolded).toEqual([]);
    expect(small.layers.map((l) => l.getClassName())).toEqual(['Dense', 'ReLU', 'Dense', 'ReLU', 'Dense']);
    expect(small.optimizer).toBeDefined();
    expect(dep.params).toBe(countParams(small).total);
    expect(dep.params).toBe(json.final.params - 4 * (last.channels.h1 + last.channels.h2));

    // Independent route: save it with saveQuantized, load it with plain TF.js, score it here.
    let saved: tf.io.ModelArtifacts | undefined;
    const r = await saveQuantized(small, tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { dtype: 'uint8' });
    expect(r.weightBytes).toBe(storedSize(small, { dtype: 'uint8' }).weightBytes);
    const json32 = new TextEncoder().encode(JSON.stringify(saved!.modelTopology)).byteLength;
    expect(dep.bytes - r.weightBytes).toBeGreaterThan(json32); // model.json: topology + manifest
    expect(dep.bytes - r.weightBytes).toBeLessThan(json32 + 2000);
    expect(dep.keptFloat32).toBe(r.tensors.filter((t) => t.dtype === 'float32').length);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    expect(dep.metrics.accuracy).toBeCloseTo(accuracyOf(loaded, data.xVal, data.yVal), 6);
    loaded.dispose();
    // The markdown says it.
    expect(report.toMarkdown()).toContain(`Deployed: 2 BatchNormalization folded; stored at uint8: ${dep.bytes.toLocaleString('en-US')} bytes`);
    expect(report.toMarkdown()).toContain('| stored bytes (uint8)');

    expect(weightsOf(model)).toEqual(before);
    small.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  test('deploy without folding at float16; no deploy means no bytes measured', async () => {
    const { model: a, report: ra } = await pruneIteratively(model, d(), { compile, stop: maxSteps(1), fineTune: { steps: 2 }, deploy: { dtype: 'float16', foldBatchNorm: false } });
    const ja = ra.toJSON();
    expect(ja.deploy!.folded).toEqual([]);
    expect(a.layers.filter((l) => l.getClassName() === 'BatchNormalization')).toHaveLength(2);
    expect(ja.final.bytesQuantized).toBe(storedSize(a, { dtype: 'float16' }).bytes);
    a.dispose();
    const { model: b, report: rb } = await pruneIteratively(model, d(), { compile, stop: maxSteps(1), fineTune: { steps: 2 } });
    expect(rb.toJSON().final.bytes).toBeUndefined();
    expect(rb.toJSON().deploy).toBeUndefined();
    b.dispose();
  });

  test('bad deploy options and a size target without size are refused up front', async () => {
    await expectPruneErrorAsync(() => pruneIteratively(model, d(), { compile, stop: maxSteps(1), deploy: {} as { dtype: 'uint8' } }), 'INVALID_OPTION', 'deploy: dtype must be one of');
    await expectPruneErrorAsync(() => pruneIteratively(model, d(), { compile, stop: maxSteps(1), deploy: { dtype: 'uint8', fold: true } as never }), 'INVALID_OPTION', 'unknown deploy option(s) fold');
    await expectPruneErrorAsync(() => pruneIteratively(model, d(), { compile, stop: maxSteps(1), objective: 'bytes' as 'size' }), 'INVALID_OPTION', "'flops', 'params', 'latency' or 'size'");
  });
});
