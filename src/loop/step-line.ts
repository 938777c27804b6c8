import type { Measurement } from '../report/measurement';
import type { StepRecord } from '../report/step-record';

const pct = (v: number, base: number): string => `${((100 * v) / base).toFixed(1)}%`;
const num = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4)) : String(v));

/** One line per step for `verbose`: channels, FLOPs, params and metrics before -> after fine-tune. */
export function stepLine(r: StepRecord, baseline: Measurement): string {
  const removed = Object.entries(r.removedPerGroup).map(([id, n]) => `${id} -${n}`).join(', ');
  const widths = Object.entries(r.channels).map(([id, n]) => `${id}:${n}`).join(' ');
  const metrics = Object.keys(r.metricsAfterFineTune)
    .map((k) => `${k} ${num(r.metricsBeforeFineTune[k])} -> ${num(r.metricsAfterFineTune[k])}`)
    .join(', ');
  const latency = r.latencyMs !== undefined && baseline.latencyMs !== undefined ? `, latency ${pct(r.latencyMs, baseline.latencyMs)}` : '';
  const compensation = r.seconds.compensation ?? 0;
  const secs = r.seconds.scoring + r.seconds.surgery + compensation + r.seconds.fineTune + r.seconds.evaluation;
  const refit = r.compensation ? ` (compensation ${compensation.toFixed(1)} s: ${r.compensation.layers.length} layer(s) refit)` : '';
  return (
    `[tfjs-prune] step ${r.step}: removed ${removed || 'nothing'} | channels ${widths} | FLOPs ${pct(r.flops, baseline.flops)}, params ${pct(r.params, baseline.params)}${latency}` +
    `${metrics ? ` | ${metrics}` : ''} | ${secs.toFixed(1)} s${refit}`
  );
}
