/**
 * End-to-end test of the browser example in a real headless Chromium (`npm run test:browser`):
 * builds examples/browser, serves it on a free port, opens the page with playwright-core driving
 * Debian's chromium (never a downloaded browser), waits for `<output id="result">` to say done or
 * error, and checks the result. Runs the page with the backend it picks itself, then proves the
 * other backend: `?backend=wasm` when it picked WebGL, or `?backend=webgl&size=smoke` (a short
 * run: software WebGL is about 20 times slower) when it picked wasm and the browser has WebGL.
 * `npm run test:browser -- --default-only` skips the second run; `npm run test:browser --
 * '?backend=cpu&size=smoke' ...` runs the given page queries instead. Screenshots go to
 * out/browser/. Fails on page errors, console errors and failed requests.
 *
 * Not part of `npm test` (jest runs test/**\/*.test.ts only). Skips, exit code 0, when there is no
 * Chromium at $CHROMIUM_PATH or /usr/bin/chromium.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { buildBrowserExample } from '../../examples/browser/build';
import { startStaticServer } from '../../examples/browser/static-server';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT_DIR = path.resolve(__dirname, '../../out/browser');
/** Per page run; the page itself should finish in about a minute. */
const RUN_TIMEOUT_MS = 240_000;
/** Sanity floor of the trained model's accuracy (measured: 95.6% on validation and 96.2% on test for full runs, 80% and 81% for smoke runs). */
const MIN_ACCURACY_BEFORE: Record<string, number> = { full: 0.94, smoke: 0.6 };

/** What one page run reported. */
interface PageRun {
  name: string;
  query: string;
  result: Record<string, string>;
  problems: string[];
  wallSeconds: number;
  screenshot: string;
  /** Main-thread long tasks (> 50 ms, PerformanceObserver 'longtask'): the longest, overall and while pruneIteratively ran. */
  longTasks: LongTasks | null;
}

/** What the page's long-task observer saw. */
interface LongTasks {
  /** Longest task of the whole page run (ms), and how many tasks were over 50 ms. */
  longestMs: number;
  count: number;
  /** The same between the page's 'prune-start' and 'prune-end' marks (the pruneIteratively call). */
  pruneLongestMs: number;
  pruneCount: number;
  /** Sum of the long tasks' time over 50 ms while pruning, and the pruning time (ms). */
  pruneBlockingMs: number;
  pruneMs: number;
}

/**
 * Installed before the page's scripts: records every long task with its start and duration. A
 * string, not a function: tsx's transform would add helpers the page does not have.
 */
const OBSERVE_LONG_TASKS = `
window.__longTasks = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
} catch (e) {
  window.__longTasks = undefined;
}`;

/** Summarises the long tasks of a finished page (evaluated in the page, as a string for the same reason). */
const SUMMARISE_LONG_TASKS = `(() => {
  const tasks = window.__longTasks;
  if (tasks === undefined) return null;
  const mark = (name) => { const e = performance.getEntriesByName(name, 'mark')[0]; return e === undefined ? undefined : e.startTime; };
  const start = mark('prune-start') ?? Infinity;
  const end = mark('prune-end') ?? -Infinity;
  const during = tasks.filter(([t, d]) => t + d > start && t < end);
  const max = (list) => list.reduce((m, [, d]) => Math.max(m, d), 0);
  return {
    longestMs: max(tasks),
    count: tasks.length,
    pruneLongestMs: max(during),
    pruneCount: during.length,
    pruneBlockingMs: during.reduce((s, [, d]) => s + Math.max(0, d - 50), 0),
    pruneMs: Math.max(0, end - start),
  };
})()`;

async function longTasksOf(page: Page): Promise<LongTasks | null> {
  return (page.evaluate(SUMMARISE_LONG_TASKS) as Promise<LongTasks | null>).catch(() => null);
}

async function runPage(browser: Browser, url: string, name: string, query: string): Promise<PageRun> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()} (${request.failure()?.errorText ?? 'unknown'})`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  await page.addInitScript({ content: OBSERVE_LONG_TASKS });
  const started = performance.now();
  try {
    await page.goto(`${url}${query}`);
    await page.waitForSelector('#result[data-status="done"], #result[data-status="error"]', { timeout: RUN_TIMEOUT_MS, state: 'attached' });
  } catch (error) {
    problems.push(`the page did not finish: ${error instanceof Error ? error.message : String(error)}`);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const longTasks = await longTasksOf(page);
  const result = await page.$eval('#result', (element) => ({ ...(element as HTMLElement).dataset }) as Record<string, string>).catch(() => ({}));
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const screenshot = path.join(SCREENSHOT_DIR, name === 'default' ? 'example.png' : `example-${name}.png`);
  await page.screenshot({ path: screenshot, fullPage: true });
  await context.close();
  return { name, query, result, problems, wallSeconds, screenshot, longTasks };
}

/** The failed checks of one run (empty when it passed). */
function check(run: PageRun, expectedBackend: string | null): string[] {
  const r = run.result;
  const failures = [...run.problems];
  if (r.status !== 'done') {
    failures.push(`data-status is "${r.status}"${r.error === undefined ? '' : `: ${r.error}`}`);
    return failures;
  }
  const num = (key: string): number => Number(r[key]);
  if (!['webgl', 'wasm', 'cpu'].includes(r.backend)) failures.push(`data-backend is "${r.backend}"`);
  if (expectedBackend !== null && r.backend !== expectedBackend) failures.push(`backend ${r.backend}, expected ${expectedBackend} (${run.query})`);
  // The example's server sends COOP/COEP, so wasm must load TF.js's threaded build, whose pool is
  // half the logical cores (at least 1, at most 8).
  if (r.crossOriginIsolated !== 'true') failures.push(`the page is not cross-origin isolated (crossOriginIsolated = ${r.crossOriginIsolated}): COOP/COEP headers missing?`);
  if (r.backend === 'wasm') {
    const expectedThreads = Math.min(8, Math.max(1, Math.floor(num('logicalCores') / 2)));
    if (r.wasmThreadedBuild !== 'true') failures.push('wasm did not load its threaded build on a cross-origin isolated page');
    if (num('wasmThreads') !== expectedThreads) failures.push(`wasm reports ${r.wasmThreads} threads, expected ${expectedThreads} (${r.logicalCores} logical cores)`);
  }
  if (!(num('flopsRatio') <= num('targetFlops') + 1e-9)) failures.push(`FLOPs ratio ${r.flopsRatio} is above the target ${r.targetFlops} (stopped by ${r.stoppedBy})`);
  const floor = MIN_ACCURACY_BEFORE[r.size] ?? 0;
  if (!(num('accuracyBefore') >= floor)) failures.push(`validation accuracy before pruning ${r.accuracyBefore} < ${floor} (${r.size} run): training went wrong`);
  if (!(num('accuracyAfter') >= num('accuracyBefore') - num('maxAccuracyDrop') - 1e-9)) {
    failures.push(`validation accuracy ${r.accuracyBefore} -> ${r.accuracyAfter} lost more than ${r.maxAccuracyDrop}`);
  }
  if (!(num('testAccuracyAfter') >= num('testAccuracyBefore') - num('maxAccuracyDrop') - 0.01)) {
    failures.push(`test accuracy ${r.testAccuracyBefore} -> ${r.testAccuracyAfter} lost more than ${r.maxAccuracyDrop} + 0.01`);
  }
  return failures;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const queries = args.filter((arg) => !arg.startsWith('--'));
  const defaultOnly = args.includes('--default-only');
  const unknown = args.filter((arg) => arg.startsWith('--') && arg !== '--default-only');
  if (unknown.length > 0) throw new Error(`Unknown option ${unknown.join(', ')}: the only option is --default-only; other arguments are page queries such as '?backend=wasm'.`);
  if (!fs.existsSync(CHROMIUM)) {
    console.log(`skipped: Chromium not found at ${CHROMIUM}, install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH.`);
    return 0;
  }
  const started = performance.now();
  const { outDir } = await buildBrowserExample();
  const server = await startStaticServer({ root: outDir, port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  const runs: Array<{ run: PageRun; failures: string[] }> = [];
  try {
    console.log(`Chromium ${browser.version()} (${CHROMIUM}), page at ${server.url}`);
    for (const [i, query] of queries.entries()) {
      const run = await runPage(browser, server.url, `run${i + 1}`, query);
      runs.push({ run, failures: check(run, new URLSearchParams(query).get('backend')) });
    }
    if (queries.length === 0) {
      const first = await runPage(browser, server.url, 'default', '');
      runs.push({ run: first, failures: check(first, null) });
      // Prove the other backend too: wasm when the page picked WebGL, WebGL (if any) when it picked wasm.
      if (defaultOnly) {
        console.log('(no second run: --default-only)');
      } else if (first.result.backend === 'wasm') {
        const page = await browser.newPage();
        const hasWebgl = await page.evaluate(() => document.createElement('canvas').getContext('webgl2') !== null).catch(() => false);
        await page.close();
        if (hasWebgl) {
          const run = await runPage(browser, server.url, 'webgl-smoke', '?backend=webgl&size=smoke');
          runs.push({ run, failures: check(run, 'webgl') });
        } else {
          console.log('(no second run: the page picked wasm and this Chromium has no WebGL)');
        }
      } else {
        const run = await runPage(browser, server.url, 'wasm', '?backend=wasm');
        runs.push({ run, failures: check(run, 'wasm') });
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }

  let failed = 0;
  for (const { run, failures } of runs) {
    const r = run.result;
    console.log(`\n${run.name} run (${run.query || 'no query'}${r.size === undefined ? '' : `, ${r.size} size`}): ${failures.length === 0 ? 'PASS' : 'FAIL'} in ${run.wallSeconds.toFixed(1)} s`);
    console.log(`  backend ${r.backend ?? '?'}: ${r.backendDetail ?? ''}`);
    console.log(`  cross-origin isolated: ${r.crossOriginIsolated ?? '?'}${r.backend === 'wasm' ? `, wasm threads: ${r.wasmThreads} (${r.logicalCores} logical cores)` : ''}`);
    if (r.status === 'done') {
      console.log(`  FLOPs ${(100 * Number(r.flopsRatio)).toFixed(1)}%, params ${(100 * Number(r.paramsRatio)).toFixed(1)}% after ${r.steps} steps (stopped by ${r.stoppedBy})`);
      console.log(`  validation accuracy ${r.accuracyBefore} -> ${r.accuracyAfter}, test ${r.testAccuracyBefore} -> ${r.testAccuracyAfter}`);
      console.log(`  page time ${r.secondsTotal} s (training ${r.secondsTrain} s, pruning ${r.secondsPrune} s)`);
      const lt = run.longTasks;
      if (lt === null) console.log('  long tasks: not measured (no PerformanceObserver longtask support)');
      else {
        console.log(
          `  long tasks (> 50 ms): longest ${lt.longestMs.toFixed(0)} ms of ${lt.count} over the whole page; while pruning: longest ${lt.pruneLongestMs.toFixed(0)} ms of ${lt.pruneCount}, ` +
            `${(lt.pruneBlockingMs / 1000).toFixed(1)} s blocking time over ${(lt.pruneMs / 1000).toFixed(1)} s`,
        );
      }
    }
    console.log(`  screenshot ${path.relative(process.cwd(), run.screenshot)}`);
    for (const failure of failures) console.log(`  FAILED: ${failure}`);
    if (failures.length > 0) failed++;
  }
  console.log(`\n${failed === 0 ? 'browser example: all runs passed' : `browser example: ${failed} run(s) failed`} (${((performance.now() - started) / 1000).toFixed(1)} s in all)`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
