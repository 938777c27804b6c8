import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { resolveModel } from '../../src/graph/resolve-model';
import { gatedForward, planGates } from '../../src/criteria/gated-forward';
import { prune } from '../../src/surgery/prune';
import { input } from '../helpers/arange';
import { expectClose, predictAll } from '../helpers/expect-close';
import { randomRemovals } from '../helpers/random-removals';
import { architecture, buildFunctional, buildSequential, functionalStep, INPUT_SHAPE, sequentialStep, type Architecture } from '../helpers/random-architecture';

/**
 * The gate invariant behind Taylor, the oracle and the learned agent: the gated forward pass with
 * gates of 1 is the model itself, and with the removed channels' gates at 0 it is exactly the
 * pruned model (what `prune` builds), on every generated architecture.
 */
async function holds(build: (a: Architecture) => tf.LayersModel, arch: Architecture, seed: number, fraction: number): Promise<void> {
  const start = tf.memory().numTensors;
  const model = build(arch);
  const x = input([2, ...INPUT_SHAPE], seed);
  try {
    const resolved = resolveModel(model);
    const plan = planGates(resolved, resolved.groups.filter((g) => g.prunable));
    const removals = randomRemovals(model, seed, fraction);
    const mask = new Float32Array(plan.width).fill(1);
    for (const [id, indices] of Object.entries(removals)) for (const i of indices) mask[plan.offsets.get(id)! + i] = 0;

    const original = predictAll(model, x);
    const ungated = tf.tidy(() => gatedForward(resolved, plan, [x], tf.ones([2, plan.width])));
    original.forEach((t, i) => expectClose(ungated[i], t, 1e-5));

    const pruned = prune(model, removals);
    const expected = predictAll(pruned, x);
    const gated = tf.tidy(() => gatedForward(resolved, plan, [x], tf.tensor2d(mask, [1, plan.width]).tile([2, 1])));
    expected.forEach((t, i) => expectClose(gated[i], t, 1e-5));
    tf.dispose([...original, ...ungated, ...expected, ...gated]);
    pruned.dispose();
  } finally {
    x.dispose();
    model.dispose();
  }
  expect(tf.memory().numTensors).toBe(start);
}

describe('gates at 0 compute the pruned model (fast-check)', () => {
  test('functional models: residual merges, forks, concatenations, depthwise, flatten/GAP heads', async () => {
    await fc.assert(
      fc.asyncProperty(architecture(functionalStep), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), (arch, seed, fraction) =>
        holds(buildFunctional, arch, seed, fraction),
      ),
      { numRuns: 60, seed: 20261201 },
    );
  });

  test('sequential models', async () => {
    await fc.assert(
      fc.asyncProperty(architecture(sequentialStep), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), (arch, seed, fraction) =>
        holds(buildSequential, arch, seed, fraction),
      ),
      { numRuns: 40, seed: 11 },
    );
  });
});
