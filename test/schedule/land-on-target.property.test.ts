import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { criteria } from '../../src/criteria/criteria';
import { analyze } from '../../src/graph/analyze';
import { resolveModel } from '../../src/graph/resolve-model';
import { channelFlopsShare } from '../../src/criteria/channel-flops';
import { countFlops } from '../../src/metrics/count-flops';
import { pruneStep } from '../../src/pruner';
import { planStep } from '../../src/schedule/plan-step';
import { resolveSchedule } from '../../src/schedule/schedule-options';
import { prune } from '../../src/surgery/prune';

jest.setTimeout(60000);

/** Dense 4 -> a -> b -> 2, seeded. */
function net(a: number, b: number, seed: number): tf.LayersModel {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: a, activation: 'relu', name: 'h1', kernelInitializer: init(1) }),
      tf.layers.dense({ units: b, activation: 'relu', name: 'h2', kernelInitializer: init(2) }),
      tf.layers.dense({ units: 2, activation: 'softmax', name: 'out', kernelInitializer: init(3) }),
    ],
  });
}

describe('landing (property): the step that would cross a FLOPs target is the shortest prefix of its plan that reaches it', () => {
  test('any widths, step size, ranking and target', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 2, max: 9 }),
        fc.integer({ min: 1, max: 16 }),
        fc.double({ min: 0.2, max: 0.95, noNaN: true }),
        fc.constantFrom('cost' as const, 'global' as const),
        fc.integer({ min: 0, max: 1000 }),
        async (a, b, count, ratio, ranking, seed) => {
          const model = net(a, b, seed);
          const tensors = tf.memory().numTensors;
          const schedule = resolveSchedule({ channelsPerStep: count, ranking });
          const sizes = { h1: a, h2: b };
          const base = countFlops(model).total;
          const meets = (c: { flops: number }) => c.flops / base <= ratio;
          const step = await pruneStep(model, criteria.l1Norm(), schedule, sizes, { objective: 'flops', land: meets });
          const planned = await pruneStep(model, criteria.l1Norm(), schedule, sizes, { objective: 'flops' });
          const n = Object.values(step.removals).reduce((k, r) => k + (r as ArrayLike<number>).length, 0);
          const full = Object.values(planned.removals).reduce((k, r) => k + (r as ArrayLike<number>).length, 0);
          expect(step.flops).toBe(countFlops(step.model!).total);
          if (planned.flops / base > ratio) {
            // The whole step does not reach the target: nothing changes.
            expect(step.removals).toEqual(planned.removals);
          } else {
            expect(step.flops / base).toBeLessThanOrEqual(ratio);
            expect(n).toBeLessThanOrEqual(full);
            // One channel fewer (the same ranking's plan of n - 1) would miss the target.
            const groups = analyze(model).groups;
            const costs = ranking === 'cost' ? channelFlopsShare(model, resolveModel(model), ['h1', 'h2']) : undefined;
            if (n > 1) {
              const prefix = planStep(groups, step.scores, sizes, schedule, { count: n - 1, ...(costs ? { costs } : {}) });
              const smaller = prune(model, prefix);
              expect(countFlops(smaller).total / base).toBeGreaterThan(ratio);
              smaller.dispose();
            }
          }
          step.model?.dispose();
          planned.model?.dispose();
          expect(tf.memory().numTensors).toBe(tensors);
          model.dispose();
        },
      ),
      { numRuns: 25, seed: 16 },
    );
  });
});
