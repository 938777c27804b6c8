// Jest transform: TypeScript -> CommonJS with esbuild (type checking is `npm run typecheck`'s job).
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'es2020',
      sourcemap: 'inline',
      sourcefile: filename,
    });
    return { code, map };
  },
};
