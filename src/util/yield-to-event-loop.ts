/**
 * Let the host's event loop run: timers, I/O callbacks, a browser's rendering and input events.
 * Long work (fine-tuning, scoring, compensation) awaits this between minibatches so an
 * `AbortSignal` fired from a timer or a button lands within one minibatch and a progress bar moves.
 *
 * Uses `setImmediate` where it exists (Node: runs after pending I/O and timers that are due),
 * otherwise a `MessageChannel` message (browsers: a task, so the page can repaint without the 4 ms
 * clamp of nested `setTimeout`), otherwise `setTimeout(0)`.
 *
 * @internal
 */
export function yieldToEventLoop(): Promise<void> {
  const g = globalThis as {
    setImmediate?: (fn: () => void) => unknown;
    MessageChannel?: new () => { port1: { onmessage: (() => void) | null; close(): void }; port2: { postMessage(v: unknown): void; close(): void } };
  };
  if (typeof g.setImmediate === 'function') {
    const immediate = g.setImmediate;
    return new Promise((resolve) => void immediate(resolve));
  }
  if (typeof g.MessageChannel === 'function') {
    const channel = new g.MessageChannel();
    return new Promise((resolve) => {
      channel.port1.onmessage = () => {
        channel.port1.close();
        channel.port2.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
