import type { PruningGroup } from '../../src/graph/pruning-group';
import { planStep, groupFloor } from '../../src/schedule/plan-step';
import { resolveSchedule, type ScheduleOptions } from '../../src/schedule/schedule-options';
import { PruneError } from '../../src/errors';

const group = (id: string, size: number, prunable = true): PruningGroup => ({ id, size, prunable, members: [{ layer: id, className: 'Conv2D', role: 'producer' }] });
const f32 = (v: number[]): Float32Array => Float32Array.from(v);

const groups = [group('a', 4), group('b', 6), group('out', 3, false)];
const scores = { a: f32([0.9, 0.1, 0.5, 0.3]), b: f32([0.2, 0.8, 0.05, 0.6, 0.7, 0.4]) };
const sizes = { a: 4, b: 6 };
const plan = (options: ScheduleOptions, s = scores, g = groups, original = sizes) => planStep(g, s, original, resolveSchedule(options));

describe('planStep', () => {
  test('global ranking takes the lowest scores across groups', () => {
    // 10 channels, fraction 0.3 -> 3: b2 (0.05), a1 (0.1), b0 (0.2).
    expect(plan({ channelsPerStep: { fraction: 0.3 } })).toEqual({ a: [1], b: [0, 2] });
    expect(plan({ channelsPerStep: 4 })).toEqual({ a: [1, 3], b: [0, 2] });
  });

  test('the default removes 5% of the remaining channels, at least one', () => {
    expect(plan({})).toEqual({ b: [2] });
  });

  test('perLayer ranking: each group loses its share, lowest first', () => {
    // 4 channels: a gets round(4 * 4/10) = 2, b gets round(4 * 6/10) = 2.
    expect(plan({ channelsPerStep: 4, ranking: 'perLayer' })).toEqual({ a: [1, 3], b: [0, 2] });
  });

  test('ties at the cut-off: exactly the requested count, by group order then channel index', () => {
    const tied = { a: f32([0, 0, 1, 1]), b: f32([0, 1, 0, 1, 1, 1]) };
    expect(plan({ channelsPerStep: 3 }, tied)).toEqual({ a: [0, 1], b: [0] });
  });

  test('minChannels and maxRatio floors; nothing left gives an empty plan', () => {
    expect(plan({ channelsPerStep: 8, minChannels: 3 })).toEqual({ a: [1], b: [0, 2, 5] });
    // maxRatio 0.5 of the original sizes: a keeps >= 2, b keeps >= 3.
    expect(plan({ channelsPerStep: 8, maxRatio: 0.5 })).toEqual({ a: [1, 3], b: [0, 2, 5] });
    // Already at the floor: nothing to remove.
    const small = [group('a', 2), group('b', 3)];
    expect(plan({ channelsPerStep: 2, maxRatio: 0.5 }, { a: f32([1, 2]), b: f32([1, 2, 3]) }, small)).toEqual({});
  });

  test('roundTo lands touched groups on multiples; groups smaller than roundTo are left alone', () => {
    const big = [group('a', 12), group('b', 3)];
    const s = { a: f32(Array.from({ length: 12 }, (_, i) => i / 10)), b: f32([0, 0, 0]) };
    // 3 channels asked: b's three zeros first, but b (3 < 4) may lose down to 1 ... then a.
    expect(plan({ channelsPerStep: 3, roundTo: 4 }, s, big, { a: 12, b: 3 })).toEqual({ b: [0, 1], a: [0, 1, 2, 3] });
    expect(groupFloor(12, 12, resolveSchedule({ roundTo: 8, minChannels: 3 }))).toBe(8);
  });

  test('exclude by producer layer name or by predicate', () => {
    expect(plan({ channelsPerStep: 3, exclude: ['b'] })).toEqual({ a: [1, 2, 3] });
    expect(plan({ channelsPerStep: 2, exclude: (g) => g.id === 'a' })).toEqual({ b: [0, 2] });
  });

  test('bad schedule options are refused with a PruneError naming the field', () => {
    const bad: Array<[ScheduleOptions, string]> = [
      [{ channelsPerStep: 0.05 }, 'a count must be a positive integer (use { fraction: 0.05 }'],
      [{ channelsPerStep: { fraction: 1.5 } }, 'channelsPerStep must be a count, { fraction } in (0, 1) or { cost } in (0, 1)'],
      [{ channelsPerStep: { cost: 0 } }, 'channelsPerStep.cost must be a number in (0, 1) alone'],
      [{ channelsPerStep: { cost: 0.1, fraction: 0.1 } as never }, 'channelsPerStep.cost must be a number in (0, 1) alone'],
      [{ channelsPerStep: { cost: 0.1 }, ranking: 'perLayer' }, "does not combine with ranking: 'perLayer'"],
      [{ ranking: 'local' as never }, "ranking must be 'cost', 'global' or 'perLayer'"],
      [{ minChannels: 0 }, 'minChannels must be an integer >= 1'],
      [{ maxRatio: 2 }, 'maxRatio must be a number in [0, 1]'],
      [{ roundTo: 2.5 }, 'roundTo must be a positive integer'],
      [{ exclude: 'conv1' as never }, 'exclude must be an array of layer names or a predicate'],
      [{ step: 3 } as never, 'unknown option(s) step'],
    ];
    for (const [options, message] of bad) {
      expect(() => resolveSchedule(options)).toThrow(PruneError);
      expect(() => resolveSchedule(options)).toThrow(message);
    }
  });
});

describe('planStep: a cost budget per step (channelsPerStep: { cost })', () => {
  // a costs 0.1 per channel, b 0.02: cost keys a = [9, 1, 5, 3], b = [10, 40, 2.5, 30, 35, 20].
  const costs = { a: f32([0.1, 0.1, 0.1, 0.1]), b: f32([0.02, 0.02, 0.02, 0.02, 0.02, 0.02]) };

  test('channels go in ranking order until their costs reach the budget (at least one)', () => {
    // 'cost' order: a1 (1), b2 (2.5), a3 (3), a2 (5), ... Budget 0.2: a1 0.1, b2 0.12, a3 0.22 >= 0.2: stop.
    expect(planStep(groups, scores, sizes, resolveSchedule({ channelsPerStep: { cost: 0.2 } }), { costs })).toEqual({ a: [1, 3], b: [2] });
    // Budget 0.05: a1 alone already saves 0.1.
    expect(planStep(groups, scores, sizes, resolveSchedule({ channelsPerStep: { cost: 0.05 } }), { costs })).toEqual({ a: [1] });
    // 'global' order b2 (0.05), a1 (0.1), b0 (0.2), a3 (0.3): 0.02, 0.12, 0.14, 0.24 >= 0.15 -> four channels.
    expect(planStep(groups, scores, sizes, resolveSchedule({ channelsPerStep: { cost: 0.15 }, ranking: 'global' }), { costs })).toEqual({ a: [1, 3], b: [0, 2] });
    // An explicit count (landing) overrides the budget.
    expect(planStep(groups, scores, sizes, resolveSchedule({ channelsPerStep: { cost: 0.2 } }), { costs, count: 1 })).toEqual({ a: [1] });
  });

  test('floors hold and a budget larger than what may go takes what may go', () => {
    expect(planStep(groups, scores, sizes, resolveSchedule({ channelsPerStep: { cost: 0.9 }, minChannels: 3 }), { costs })).toEqual({ a: [1], b: [0, 2, 5] });
  });
});

describe("planStep: ranking 'cost' and an explicit count", () => {
  test('channels are ranked by score / cost share; a zero-cost channel goes last', () => {
    // a costs 0.1 per channel, b 0.02: keys a = [9, 1, 5, 3], b = [10, 40, 2.5, 30, 35, 20].
    const costs = { a: f32([0.1, 0.1, 0.1, 0.1]), b: f32([0.02, 0.02, 0.02, 0.02, 0.02, 0.02]) };
    expect(planStep(groups, scores, sizes, resolveSchedule({ channelsPerStep: 3 }), { costs })).toEqual({ a: [1, 3], b: [2] });
    // Same scores, plain 'global': b2 (0.05), a1 (0.1), b0 (0.2).
    expect(planStep(groups, scores, sizes, resolveSchedule({ channelsPerStep: 3, ranking: 'global' }), { costs })).toEqual({ a: [1], b: [0, 2] });
    // a0 saves nothing: never taken; a1 (1), b2 (2.5), a3 (3), a2 (5).
    const free = { a: f32([0, 0.1, 0.1, 0.1]), b: costs.b };
    expect(planStep(groups, scores, sizes, resolveSchedule({ channelsPerStep: 4 }), { costs: free })).toEqual({ a: [1, 2, 3], b: [2] });
  });

  test('count overrides the schedule; plans of growing counts are nested', () => {
    const s = resolveSchedule({ channelsPerStep: 8 });
    expect(planStep(groups, scores, sizes, s, { count: 2 })).toEqual({ a: [1], b: [2] });
    let previous: number[] = [];
    for (let n = 1; n <= 8; n++) {
      const flat = Object.entries(planStep(groups, scores, sizes, s, { count: n })).flatMap(([id, r]) => Array.from(r as ArrayLike<number>, (c) => `${id}${c}`));
      expect(flat).toHaveLength(n);
      expect(flat).toEqual(expect.arrayContaining(previous));
      previous = flat as never;
    }
  });
});
