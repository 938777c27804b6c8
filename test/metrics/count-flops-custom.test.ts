import * as tf from '@tensorflow/tfjs';
import { channelFlopsShare } from '../../src/criteria/channel-flops';
import { resolveModel } from '../../src/graph/resolve-model';
import { countFlops } from '../../src/metrics/count-flops';
import { prune } from '../../src/surgery/prune';
import { TestChannelScale, TestCountedScale, TestProjection } from '../helpers/custom-layers';
import { expectPruneError } from '../helpers/expect-prune-error';

type Sym = tf.SymbolicTensor;

/** Conv2D c1 (4 filters, 3x3 same on 5x5x2) -> scale -> TestProjection proj (3) -> Flatten -> Dense y (2). */
function model(scale: tf.layers.Layer): tf.LayersModel {
  const x = tf.input({ shape: [5, 5, 2], name: 'x' });
  let t = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'c1' }).apply(x) as Sym;
  t = scale.apply(t) as Sym;
  t = new TestProjection({ units: 3, name: 'proj' }).apply(t) as Sym;
  t = tf.layers.flatten({ name: 'flat' }).apply(t) as Sym;
  return tf.model({ inputs: x, outputs: tf.layers.dense({ units: 2, name: 'y' }).apply(t) as Sym });
}

// c1: 25 * 9 * 2 * 4 = 1800; proj: 25 positions * 4 * 3 = 300; y: 75 * 2 = 150.
const C1 = 1800;
const PROJ = 300;
const Y = 150;

describe('countFlops with custom layers (PrunableLayer.flops)', () => {
  test('a custom layer with flops() is counted by it', () => {
    const m = model(new TestCountedScale({ name: 'scale' }));
    const start = tf.memory().numTensors;
    const result = countFlops(m);
    expect(tf.memory().numTensors).toBe(start);
    expect(result.notCounted).toEqual([]);
    expect(result.perLayer).toEqual({ x: 0, c1: C1, scale: 100, proj: PROJ, flat: 0, y: Y });
    expect(result.total).toBe(C1 + 100 + PROJ + Y);
    m.dispose();
  });

  test('a custom layer without flops() is listed in notCounted and counted as 0', () => {
    const m = model(new TestChannelScale({ name: 'scale' }));
    const result = countFlops(m);
    expect(result.notCounted).toEqual(['scale']);
    expect(result.perLayer.scale).toBe(0);
    expect(result.total).toBe(C1 + PROJ + Y);
    m.dispose();
  });

  test('the pruned model is counted with its new shapes', () => {
    const m = model(new TestCountedScale({ name: 'scale' }));
    const pruned = prune(m, { c1: [0], proj: [2] });
    // c1: 25 * 9 * 2 * 3 = 1350; scale: 75; proj: 25 * 3 * 2 = 150; y: 50 * 2 = 100.
    expect(countFlops(pruned).perLayer).toEqual({ x: 0, c1: 1350, scale: 75, proj: 150, flat: 0, y: 100 });
    pruned.dispose();
    m.dispose();
  });

  test("the FLOPs-aware criteria's per-channel cost includes what a custom layer declares", () => {
    const m = model(new TestCountedScale({ name: 'scale' }));
    const shares = channelFlopsShare(m, resolveModel(m), ['c1', 'proj']);
    const total = C1 + 100 + PROJ + Y;
    // One c1 channel: 450 in c1, 25 in scale, 75 in proj's input rows.
    expect(shares.c1[0]).toBeCloseTo((450 + 25 + 75) / total, 6);
    // One proj channel: 100 in proj, 50 in y.
    expect(shares.proj[0]).toBeCloseTo((100 + 50) / total, 6);
    m.dispose();
  });

  test.each([
    ['NaN', () => NaN, 'returned NaN'],
    ['a negative count', () => -1, 'returned -1'],
    ['a string', () => '12', 'returned 12'],
    ['an exception', () => { throw new Error('no shapes'); }, 'its flops() threw: no shapes'],
  ])('a flops() returning %s throws INVALID_LAYER_RULE', (_, flops, fragment) => {
    class TestBadFlops extends TestChannelScale {
      static override className = 'TestBadFlops';
      flops(): number {
        return flops() as number;
      }
    }
    const m = model(new TestBadFlops({ name: 'scale' }));
    expectPruneError(() => countFlops(m), 'INVALID_LAYER_RULE', "Layer 'scale' (TestBadFlops)", fragment, 'docs/guides/custom-layers.md');
    m.dispose();
  });
});
