import { PruneError } from '../errors';
import {
  formatCount,
  formatMetric,
  formatMetricChange,
  formatPercentOf,
  formatSeconds,
  NOT_AVAILABLE,
} from './format-number';
import type { PruneReportJSON } from './report-json';
import { checkMetricName, checkOptionsObject, finalChannels, finalStepNumber, metricNames } from './report-views';

/**
 * Options of `report.toMarkdown()`.
 *
 * @example
 * ```ts
 * const md = report.toMarkdown({ metrics: ['accuracy'], maxRows: 10, headingLevel: 2 });
 * ```
 */
export interface ReportMarkdownOptions {
  /**
   * Metrics to show, by name, in this order; each must be a metric of the report.
   * Default: every metric (those of `metricDirections` first, in their order).
   */
  metrics?: readonly string[];
  /**
   * Most rows of the steps table and of the channels table (a positive integer). A longer table
   * keeps its first and last rows around one `… N more` row. Default: every row.
   */
  maxRows?: number;
  /**
   * Markdown level of the document's title (1 to 5): 1 gives `# Pruning report` with `##`
   * sections, 2 gives `## Pruning report` with `###` sections. Default: 1.
   */
  headingLevel?: number;
}

interface ResolvedOptions {
  metrics: string[];
  maxRows: number;
  headingLevel: number;
}

const WHERE = 'report.toMarkdown';

function resolveOptions(json: PruneReportJSON, options: ReportMarkdownOptions | undefined): ResolvedOptions {
  checkOptionsObject(options, WHERE);
  const available = metricNames(json);
  let metrics = available;
  if (options?.metrics !== undefined) {
    if (!Array.isArray(options.metrics)) {
      throw new PruneError('INVALID_OPTION', `${WHERE}: metrics must be an array of metric names such as ['accuracy']; got ${typeof options.metrics}.`);
    }
    metrics = options.metrics.map((name) => {
      checkMetricName(name, available, `${WHERE} metrics`);
      return name;
    });
  }
  const maxRows = options?.maxRows ?? Number.POSITIVE_INFINITY;
  if (maxRows !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxRows) || maxRows < 1)) {
    throw new PruneError('INVALID_OPTION', `${WHERE}: maxRows must be a positive integer (or left out for every row); got ${String(maxRows)}.`);
  }
  const headingLevel = options?.headingLevel ?? 1;
  if (!Number.isInteger(headingLevel) || headingLevel < 1 || headingLevel > 5) {
    throw new PruneError('INVALID_OPTION', `${WHERE}: headingLevel must be an integer from 1 to 5; got ${String(headingLevel)}.`);
  }
  return { metrics, maxRows, headingLevel };
}

/** Escapes the characters that would break a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(header: readonly string[], align: readonly ('l' | 'r')[], rows: readonly string[][], maxRows: number): string[] {
  const lines = [row(header), row(align.map((a) => (a === 'l' ? '---' : '---:')))];
  if (rows.length <= maxRows) return [...lines, ...rows.map(row)];
  const head = Math.ceil(maxRows / 2);
  const tail = maxRows - head;
  const skipped = rows.length - head - tail;
  const gap = [`… ${skipped} more`, ...header.slice(1).map(() => '')];
  return [...lines, ...rows.slice(0, head).map(row), row(gap), ...rows.slice(rows.length - tail).map(row)];
}

function directionNote(json: PruneReportJSON, name: string): string {
  const direction = json.metricDirections[name];
  return direction === undefined ? name : `${name} (${direction} is better)`;
}

function summary(json: PruneReportJSON, o: ResolvedOptions): string[] {
  const { baseline, final } = json;
  const ofOriginal = (a: number | undefined, b: number | undefined): string => {
    const pct = formatPercentOf(b, a);
    return pct === NOT_AVAILABLE ? pct : `${pct} of original`;
  };
  const rows: string[][] = [
    ['parameters', formatCount(baseline.params), formatCount(final.params), ofOriginal(baseline.params, final.params)],
    ['FLOPs (MACs per example)', formatCount(baseline.flops), formatCount(final.flops), ofOriginal(baseline.flops, final.flops)],
  ];
  if (baseline.latencyMs !== undefined || final.latencyMs !== undefined) {
    rows.push(['latency (ms)', formatSeconds(baseline.latencyMs), formatSeconds(final.latencyMs), ofOriginal(baseline.latencyMs, final.latencyMs)]);
  }
  if (baseline.bytes !== undefined || final.bytes !== undefined) {
    rows.push(['stored bytes (float32)', formatCount(baseline.bytes), formatCount(final.bytes), ofOriginal(baseline.bytes, final.bytes)]);
  }
  if (json.deploy !== undefined && json.deploy.dtype !== 'float32' && final.bytesQuantized !== undefined) {
    rows.push([`stored bytes (${json.deploy.dtype})`, '', formatCount(final.bytesQuantized), `${ofOriginal(baseline.bytes, final.bytesQuantized)} (float32)`]);
  }
  for (const name of o.metrics) {
    const before = baseline.metrics[name];
    const after = final.metrics[name];
    const delta = before === undefined || after === undefined ? undefined : after - before;
    rows.push([cell(directionNote(json, name)), formatMetric(before), formatMetric(after), formatMetricChange(delta)]);
  }
  return table(['', 'baseline', 'final', 'change'], ['l', 'r', 'r', 'r'], rows, Number.POSITIVE_INFINITY);
}

/** Ends `text` with a full stop unless it already ends with punctuation. */
function sentence(text: string): string {
  return /[.!?]$/.test(text.trimEnd()) ? text.trimEnd() : `${text.trimEnd()}.`;
}

function stopLines(json: PruneReportJSON, o: ResolvedOptions): string[] {
  const lines = [sentence(`Stopped by \`${json.stoppedBy}\`${json.stopDetail === undefined ? '' : `: ${json.stopDetail}`}`)];
  const r = json.rolledBackTo;
  if (r !== undefined) {
    const target = r.step === 0 ? 'the original model (step 0)' : `step ${r.step}`;
    lines.push(sentence(`Rolled back to ${target}: ${r.reason}`));
  }
  const before = json.finalBeforeFineTune;
  if (before !== undefined && o.metrics.length > 0) {
    const values = o.metrics.map((name) => `${name} ${formatMetric(before[name])}`).join(', ');
    lines.push(`Before the final fine-tune: ${values}.`);
  }
  const s = json.seconds;
  const comp = s.compensation;
  const share = formatPercentOf(s.scoring + s.surgery + (comp ?? 0), s.total);
  lines.push(
    `Time: ${formatSeconds(s.total)} s in all (scoring ${formatSeconds(s.scoring)} s, surgery ${formatSeconds(s.surgery)} s, ` +
      (comp !== undefined ? `compensation ${formatSeconds(comp)} s, ` : '') +
      `fine-tuning ${formatSeconds(s.fineTune)} s, evaluation ${formatSeconds(s.evaluation)} s); scoring${comp !== undefined ? ', surgery and compensation' : ' and surgery'} take ${share} of the total.`,
  );
  return lines.flatMap((line) => [line, '']).slice(0, -1);
}

function stepsTable(json: PruneReportJSON, o: ResolvedOptions): string[] {
  if (json.steps.length === 0) return ['No pruning step ran.'];
  const withLatency = json.steps.some((s) => s.latencyMs !== undefined);
  const header = ['step', 'channels removed', 'parameters', 'FLOPs (% of original)'];
  if (withLatency) header.push('latency (ms)');
  const withCompensation = json.steps.some((s) => s.seconds.compensation !== undefined);
  header.push(...o.metrics.map(cell), 'scoring (s)', 'surgery (s)', ...(withCompensation ? ['compensation (s)'] : []), 'fine-tune (s)');
  const rolledBackTo = json.rolledBackTo?.step;
  const rows = json.steps.map((s) => {
    const removed = Object.values(s.removedPerGroup).reduce((a, b) => a + b, 0);
    const rejected = rolledBackTo !== undefined && s.step > rolledBackTo ? ' (rolled back)' : '';
    const cells = [`${s.step}${rejected}`, formatCount(removed), formatCount(s.params), formatPercentOf(s.flops, json.baseline.flops)];
    if (withLatency) cells.push(formatSeconds(s.latencyMs));
    for (const name of o.metrics) {
      cells.push(`${formatMetric(s.metricsBeforeFineTune[name])} → ${formatMetric(s.metricsAfterFineTune[name])}`);
    }
    cells.push(formatSeconds(s.seconds.scoring), formatSeconds(s.seconds.surgery), ...(withCompensation ? [formatSeconds(s.seconds.compensation ?? 0)] : []), formatSeconds(s.seconds.fineTune));
    return cells;
  });
  const lines = table(header, header.map((_, i) => (i === 0 ? 'l' : 'r')), rows, o.maxRows);
  if (o.metrics.length > 0) lines.push('', 'Metrics: right after surgery → after fine-tuning.');
  return lines;
}

function channelsTable(json: PruneReportJSON, o: ResolvedOptions): string[] {
  const prunable = json.groups.filter((g) => g.prunable);
  const locked = json.groups.filter((g) => !g.prunable);
  const widths = finalChannels(json);
  const lines: string[] = [];
  if (prunable.length === 0) lines.push('No prunable group.');
  else {
    const rows = prunable.map((g) => [cell(g.id), `${formatCount(g.size)} → ${formatCount(widths[g.id])}`, formatPercentOf(widths[g.id], g.size)]);
    lines.push(...table(['group', 'channels', 'kept'], ['l', 'r', 'r'], rows, o.maxRows));
  }
  if (locked.length > 0) {
    const noun = locked.length === 1 ? 'group' : 'groups';
    lines.push('', `Not prunable: ${locked.length} ${noun} (${locked.map((g) => g.id).join(', ')}).`);
  }
  return lines;
}

/** The deploy step's paragraph (none without one), followed by an empty line. */
function deployLines(json: PruneReportJSON, o: ResolvedOptions): string[] {
  const d = json.deploy;
  if (d === undefined) return [];
  const kept = d.unfolded.length === 0 ? '' : `, ${d.unfolded.length} kept (${d.unfolded.map((u) => `\`${u.layer}\`: ${u.reason}`).join('; ')})`;
  const metrics = o.metrics.filter((m) => d.metrics[m] !== undefined).map((m) => `${m} ${formatMetric(d.metrics[m])}`);
  const base = json.baseline.bytes;
  const ratio = base === undefined ? '' : `, ${formatPercentOf(d.bytes, base)} of the original's float32 bytes`;
  return [
    sentence(
      `Deployed: ${d.folded.length} BatchNormalization folded${kept}; stored at ${d.dtype}: ${formatCount(d.bytes)} bytes (${formatCount(d.bytesFloat32)} at float32${ratio})` +
        (metrics.length > 0 ? `; decoded from ${d.dtype}: ${metrics.join(', ')}` : ''),
    ),
    '',
  ];
}

/**
 * The markdown document of `report.toMarkdown()`: title line, summary table (baseline vs final),
 * stop, rollback and time lines, the steps table and the channels table.
 *
 * @example
 * ```ts
 * toMarkdown: (options) => reportToMarkdown(data, options),
 * ```
 */
export function reportToMarkdown(json: PruneReportJSON, options?: ReportMarkdownOptions): string {
  const o = resolveOptions(json, options);
  const h = (level: number): string => '#'.repeat(o.headingLevel - 1 + level);
  const n = json.steps.length;
  const finalStep = finalStepNumber(json);
  const returned = finalStep === 0 ? 'the original model' : `the model of step ${finalStep}`;
  return [
    `${h(1)} Pruning report`,
    '',
    `Criterion \`${json.criterion}\`, objective \`${json.objective}\`, ${n} pruning ${n === 1 ? 'step' : 'steps'}; the result is ${returned}.`,
    '',
    ...summary(json, o),
    '',
    ...stopLines(json, o),
    '',
    ...deployLines(json, o),
    `${h(2)} Steps`,
    '',
    ...stepsTable(json, o),
    '',
    `${h(2)} Channels per group`,
    '',
    ...channelsTable(json, o),
    '',
  ].join('\n');
}
