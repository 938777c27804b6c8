import * as path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './markdown-blocks';

/** test/docs/doc-globals.d.ts: the reader's own names (`model`, `xTrain`...) examples may use. */
export const DOC_GLOBALS = path.join(__dirname, 'doc-globals.d.ts');

/**
 * Compiler options for documentation examples: the project's tsconfig, no emit, unused names
 * allowed (an example may set up a value it does not use), no jest globals, and the package's
 * entry points mapped to the sources.
 */
export function docCompilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(REPO_ROOT, 'tsconfig.json'), ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  return {
    ...parsed.options,
    noEmit: true,
    declaration: false,
    noUnusedLocals: false,
    noUnusedParameters: false,
    types: ['node'],
    baseUrl: REPO_ROOT,
    paths: {
      'tfjs-prune': ['src/index.ts'],
      'tfjs-prune/wasm': ['src/wasm/index.ts'],
      'tfjs-prune/node': ['src/node/index.ts'],
    },
  };
}

/**
 * Type-checks in-memory modules (absolute file name -> text) together with `roots` and
 * doc-globals.d.ts; returns each module's syntactic and semantic diagnostics with 0-based lines.
 */
export function checkVirtualModules(
  sources: ReadonlyMap<string, string>,
  options: ts.CompilerOptions,
  roots: readonly string[] = [],
  oldProgram?: ts.Program,
): Map<string, Array<{ line: number; message: string }>> {
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
    const text = sources.get(path.resolve(fileName));
    return text !== undefined
      ? ts.createSourceFile(fileName, text, languageVersion, true)
      : getSourceFile.call(host, fileName, languageVersion, onError, shouldCreate);
  };
  host.fileExists = (fileName) => sources.has(path.resolve(fileName)) || fileExists.call(host, fileName);
  host.readFile = (fileName) => sources.get(path.resolve(fileName)) ?? readFile.call(host, fileName);
  const program = ts.createProgram({ rootNames: [...roots, DOC_GLOBALS, ...sources.keys()], options, host, oldProgram });
  const out = new Map<string, Array<{ line: number; message: string }>>();
  for (const fileName of sources.keys()) {
    const sf = program.getSourceFile(fileName)!;
    out.set(
      fileName,
      [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)].map((d) => ({
        line: d.start === undefined ? 0 : sf.getLineAndCharacterOfPosition(d.start).line,
        message: `TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
      })),
    );
  }
  return out;
}
