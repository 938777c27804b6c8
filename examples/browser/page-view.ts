/**
 * The browser example's DOM: progress fields, the log, the plot, the report, and the
 * machine-readable `<output id="result">` an end-to-end test waits for.
 */
import { markdownToHtml } from './markdown-html';

/** The progress fields of the page (ids in index.html). */
export type ProgressField = 'backend' | 'phase' | 'flops' | 'params' | 'accuracy';

/** Everything the run writes to the page. */
export interface PageView {
  /** Sets one progress field. */
  set(field: ProgressField, text: string): void;
  /** Appends a line to the log (and to the console). */
  log(line: string): void;
  /** Replaces the plot with an SVG document string. */
  plot(svg: string): void;
  /** Shows the final report (markdown, rendered as HTML). */
  report(markdown: string): void;
  /** Marks the run done: `data-status="done"` and every entry of `data` as a `data-*` attribute. */
  done(summary: string, data: Record<string, string>): void;
  /** Marks the run failed: `data-status="error"`, `data-error` and the message shown in red. Only the first failure counts. */
  fail(error: unknown): void;
  /** Yields to the browser so that it paints what was set (the run blocks the main thread between awaits). */
  paint(): Promise<void>;
}

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no element #${id}; index.html and main.js do not match (rebuild the example).`);
  return found;
}

/** A readable one-paragraph message for anything thrown (PruneError messages already say what to do). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
  }
  return `Error: ${String(error)}`;
}

/**
 * Binds the page's elements and starts the elapsed-time clock.
 *
 * @example
 * ```ts
 * const view = createPageView();
 * view.set('phase', 'training');
 * ```
 */
export function createPageView(): PageView {
  const started = performance.now();
  const result = element('result') as HTMLOutputElement;
  const logElement = element('log');
  const elapsed = element('elapsed');
  const tick = (): void => {
    elapsed.textContent = `${((performance.now() - started) / 1000).toFixed(0)} s`;
  };
  const clock = window.setInterval(tick, 500);
  const finished = (): boolean => result.dataset.status !== 'running';
  return {
    set: (field, text) => {
      element(field).textContent = text;
    },
    log: (line) => {
      console.log(line);
      logElement.textContent += `${line}\n`;
      logElement.scrollTop = logElement.scrollHeight;
    },
    plot: (svg) => {
      element('plot').innerHTML = svg;
    },
    report: (markdown) => {
      element('report').innerHTML = markdownToHtml(markdown);
    },
    done: (summary, data) => {
      if (finished()) return;
      window.clearInterval(clock);
      tick();
      for (const [key, value] of Object.entries(data)) result.dataset[key] = value;
      result.textContent = summary;
      result.dataset.status = 'done';
    },
    fail: (error) => {
      if (finished()) return;
      window.clearInterval(clock);
      tick();
      const message = errorMessage(error);
      console.error(error);
      const box = element('error');
      box.textContent = `The run failed.\n\n${message}`;
      box.style.display = 'block';
      element('phase').textContent = 'failed';
      result.dataset.error = message;
      result.textContent = `failed: ${message}`;
      result.dataset.status = 'error';
    },
    paint: () =>
      new Promise((resolve) => {
        // After the next frame; a timeout too, as hidden tabs get no animation frames.
        let pending = true;
        const go = (): void => {
          if (pending) (pending = false), resolve();
        };
        requestAnimationFrame(() => setTimeout(go, 0));
        setTimeout(go, 100);
      }),
  };
}
