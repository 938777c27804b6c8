/**
 * `npm run example:browser`: builds the browser example into out/browser-example/ and serves it
 * on http://localhost:8080/ (`PORT=9000 npm run example:browser` or `-- --port 9000` for another
 * port; `-- --build-only` just builds; `HOST=0.0.0.0` listens on every interface, by default only
 * on 127.0.0.1). Open the printed address in a browser.
 */
import { buildBrowserExample } from './build';
import { startStaticServer } from './static-server';

/** The port from `--port N` or the PORT environment variable; 8080 by default. */
function portFromArgs(args: readonly string[]): number {
  const at = args.indexOf('--port');
  const value = at >= 0 ? args[at + 1] : process.env.PORT ?? '8080';
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`The port must be an integer from 0 to 65535; got "${value}" (from ${at >= 0 ? '--port' : 'PORT'}).`);
  }
  return port;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const port = portFromArgs(args);
  const { outDir } = await buildBrowserExample();
  if (args.includes('--build-only')) return;
  const server = await startStaticServer({ root: outDir, port, host: process.env.HOST ?? '127.0.0.1' });
  console.log(`\nServing ${outDir} at ${server.url}`);
  console.log(`Open ${server.url} in a browser (${server.url}?backend=wasm forces WebAssembly). Ctrl+C stops.`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
