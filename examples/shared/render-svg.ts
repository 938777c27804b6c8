/**
 * Renders reports for the examples: Vega-Lite to SVG with the `vega` and `vega-lite` packages
 * (devDependencies; renderer 'none', so no canvas and no browser), and the three report files.
 * Node only (uses fs): the library itself never imports this file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { PruneReport } from '../../src/report/prune-report';
import type { ReportMarkdownOptions } from '../../src/report/report-markdown';
import type { ReportVegaLiteOptions, VegaLiteSpec } from '../../src/report/report-vega-lite';

type VegaLiteLogger = NonNullable<NonNullable<Parameters<typeof vl.compile>[1]>['logger']>;

/**
 * Options of {@link renderVegaLiteToSvg}.
 *
 * @example
 * ```ts
 * const svg = await renderVegaLiteToSvg(spec, { warn: (m) => warnings.push(m) });
 * ```
 */
export interface RenderSvgOptions {
  /** Where Vega-Lite's and Vega's warnings go. Default: `console.warn`. */
  warn?: (message: string) => void;
}

/** A Vega-Lite logger that passes warnings and errors on to `warn` and drops info and debug output. */
function makeLogger(warn: (message: string) => void): VegaLiteLogger {
  let level = 2; // vega.Warn
  const logger: VegaLiteLogger = {
    level(value?: number): never {
      if (value === undefined) return level as never;
      level = value;
      return logger as never;
    },
    error: (...args: readonly unknown[]) => (warn(`error: ${args.map(String).join(' ')}`), logger),
    warn: (...args: readonly unknown[]) => (warn(args.map(String).join(' ')), logger),
    info: () => logger,
    debug: () => logger,
  } as VegaLiteLogger;
  return logger;
}

/**
 * Compiles a Vega-Lite spec (e.g. `report.toVegaLite()`) to Vega and renders it to an SVG
 * document string in Node, without canvas.
 *
 * @example
 * ```ts
 * import * as fs from 'node:fs';
 * import { renderVegaLiteToSvg } from './shared/render-svg';
 *
 * fs.writeFileSync('out/accuracy.svg', await renderVegaLiteToSvg(report.toVegaLite()));
 * ```
 */
export async function renderVegaLiteToSvg(spec: VegaLiteSpec, options: RenderSvgOptions = {}): Promise<string> {
  const warn = options.warn ?? ((message: string) => console.warn(`vega-lite: ${message}`));
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec, { logger: makeLogger(warn) });
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Paths of the files {@link writeReportFiles} wrote.
 *
 * @example
 * ```ts
 * const { json, markdown, svg }: ReportFiles = await writeReportFiles(report, 'out/mnist');
 * ```
 */
export interface ReportFiles {
  /** `report.json`: `report.toJSON()`, indented. */
  json: string;
  /** `report.md`: `report.toMarkdown(...)`. */
  markdown: string;
  /** `report.svg`: `report.toVegaLite(...)` rendered. */
  svg: string;
}

/**
 * Options of {@link writeReportFiles}.
 *
 * @example
 * ```ts
 * await writeReportFiles(report, 'out', { markdown: { maxRows: 20 }, plot: { x: 'params' } });
 * ```
 */
export interface WriteReportFilesOptions {
  /** Passed to `report.toMarkdown`. Default: none (every metric and row). */
  markdown?: ReportMarkdownOptions;
  /** Passed to `report.toVegaLite`. Default: none (accuracy, else loss, against FLOPs kept). */
  plot?: ReportVegaLiteOptions;
  /** Passed to {@link renderVegaLiteToSvg}. */
  render?: RenderSvgOptions;
}

/**
 * Writes `report.json`, `report.md` and `report.svg` into `dir` (created if needed).
 *
 * @example
 * ```ts
 * import { writeReportFiles } from './shared/render-svg';
 *
 * const { model, report } = await pruneIteratively(original, data, options);
 * const files = await writeReportFiles(report, 'out/mnist');
 * console.log(`report: ${files.markdown}, plot: ${files.svg}`);
 * ```
 */
export async function writeReportFiles(report: PruneReport, dir: string, options: WriteReportFilesOptions = {}): Promise<ReportFiles> {
  const files: ReportFiles = {
    json: path.join(dir, 'report.json'),
    markdown: path.join(dir, 'report.md'),
    svg: path.join(dir, 'report.svg'),
  };
  const svg = await renderVegaLiteToSvg(report.toVegaLite(options.plot), options.render);
  const markdown = report.toMarkdown(options.markdown);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(files.json, `${JSON.stringify(report.toJSON(), null, 2)}\n`);
  fs.writeFileSync(files.markdown, markdown);
  fs.writeFileSync(files.svg, svg);
  return files;
}
