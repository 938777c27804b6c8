/**
 * The page's live plot: validation accuracy against the share of FLOPs kept, one point per
 * pruning step, drawn as a small SVG (no plotting library, so the bundle stays small). The
 * report's own plot, `report.toVegaLite()`, shows the same data for vega-embed.
 */

/** One point of the plot. */
export interface PlotPoint {
  /** FLOPs kept, as a fraction of the original model (1 for the baseline). */
  flops: number;
  /** Validation accuracy in [0, 1]. */
  accuracy: number;
  /** `'baseline'`, `'surgery'` (right after a step's surgery, before fine-tuning), `'step'` (after its fine-tuning), `'final'`. */
  kind: 'baseline' | 'surgery' | 'step' | 'final';
  /** Tooltip text. */
  label: string;
}

/** What {@link accuracyPlotSvg} draws besides the points. */
export interface PlotGuides {
  /** The FLOPs target as a fraction (a dashed vertical line), e.g. 0.5. */
  targetFlops: number;
  /** The lowest accuracy the bound allows (a dashed horizontal line), when known. */
  minAccuracy?: number;
}

const WIDTH = 520;
const HEIGHT = 300;
const MARGIN = { left: 56, right: 16, top: 14, bottom: 42 };
const COLORS = { step: '#1f77b4', surgery: '#9ecae1', baseline: '#333333', final: '#d62728', guide: '#999999' };

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Tick values from `low` to `high` at multiples of `step`. */
function ticks(low: number, high: number, step: number): number[] {
  const out: number[] = [];
  for (let v = Math.ceil(low / step - 1e-9) * step; v <= high + 1e-9; v += step) out.push(Number(v.toFixed(6)));
  return out;
}

/**
 * The plot as an SVG document string: x is FLOPs kept (%), y validation accuracy (%). Points
 * right after surgery are light; the line joins the baseline and every fine-tuned step; the final
 * model is red.
 *
 * @example
 * ```ts
 * plotElement.innerHTML = accuracyPlotSvg(points, { targetFlops: 0.5, minAccuracy: 0.95 });
 * ```
 */
export function accuracyPlotSvg(points: readonly PlotPoint[], guides: PlotGuides): string {
  const accuracies = points.map((p) => p.accuracy).concat(guides.minAccuracy ?? []);
  const yLow = Math.max(0, Math.floor((Math.min(...accuracies, 0.9) - 0.01) * 50) / 50);
  const yHigh = Math.min(1, Math.ceil((Math.max(...accuracies, yLow + 0.02) + 0.005) * 50) / 50);
  const xLow = Math.max(0, Math.floor((Math.min(...points.map((p) => p.flops), guides.targetFlops) - 0.05) * 10) / 10);
  const xHigh = 1;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (flops: number): number => MARGIN.left + ((flops - xLow) / (xHigh - xLow)) * plotW;
  const sy = (acc: number): number => MARGIN.top + (1 - (acc - yLow) / (yHigh - yLow)) * plotH;
  const parts: string[] = [];
  const yStep = yHigh - yLow > 0.2 ? 0.05 : yHigh - yLow > 0.08 ? 0.02 : 0.01;
  for (const v of ticks(yLow, yHigh, yStep)) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${sy(v) + 4}" text-anchor="end">${(100 * v).toFixed(0)}</text>`);
  }
  for (const v of ticks(xLow, xHigh, 0.1)) {
    parts.push(`<line x1="${sx(v)}" x2="${sx(v)}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${sx(v)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${(100 * v).toFixed(0)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#ccc"/>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">FLOPs kept (% of the original)</text>`);
  parts.push(`<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">validation accuracy (%)</text>`);
  const guide = (x1: number, y1: number, x2: number, y2: number, title: string): string =>
    `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${COLORS.guide}" stroke-dasharray="4 3"><title>${escapeXml(title)}</title></line>`;
  parts.push(guide(sx(guides.targetFlops), MARGIN.top, sx(guides.targetFlops), HEIGHT - MARGIN.bottom, `target: ${(100 * guides.targetFlops).toFixed(0)}% of the FLOPs`));
  if (guides.minAccuracy !== undefined && guides.minAccuracy >= yLow) {
    parts.push(guide(MARGIN.left, sy(guides.minAccuracy), WIDTH - MARGIN.right, sy(guides.minAccuracy), `accuracy bound: ${(100 * guides.minAccuracy).toFixed(1)}%`));
  }
  const line = points.filter((p) => p.kind === 'baseline' || p.kind === 'step');
  if (line.length > 1) {
    parts.push(`<polyline fill="none" stroke="${COLORS.step}" stroke-width="1.5" points="${line.map((p) => `${sx(p.flops)},${sy(p.accuracy)}`).join(' ')}"/>`);
  }
  for (const p of points) {
    const r = p.kind === 'surgery' ? 3 : p.kind === 'final' ? 6 : 4.5;
    parts.push(`<circle cx="${sx(p.flops)}" cy="${sy(p.accuracy)}" r="${r}" fill="${COLORS[p.kind]}"><title>${escapeXml(p.label)}</title></circle>`);
  }
  const legend: Array<[string, string]> = [
    [COLORS.baseline, 'baseline'],
    [COLORS.surgery, 'after surgery'],
    [COLORS.step, 'after fine-tuning'],
    [COLORS.final, 'final'],
  ];
  const legendX = WIDTH - MARGIN.right - 118;
  const legendY = HEIGHT - MARGIN.bottom - 8 - legend.length * 15;
  parts.push(`<rect x="${legendX}" y="${legendY}" width="112" height="${legend.length * 15 + 4}" fill="white" fill-opacity="0.85" stroke="#ddd"/>`);
  legend.forEach(([color, text], i) => {
    const y = legendY + 14 + i * 15;
    parts.push(`<circle cx="${legendX + 10}" cy="${y - 4}" r="4" fill="${color}"/><text x="${legendX + 19}" y="${y}">${text}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="11" role="img" aria-label="validation accuracy against FLOPs kept">${parts.join('')}</svg>`;
}
