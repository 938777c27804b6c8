// Every public export of the three entry points (tfjs-prune, tfjs-prune/wasm, tfjs-prune/node) has
// JSDoc with a description and an `@example`, and every example compiles against the sources.
//
// Exports are listed with the TypeScript compiler API, following re-exports to the declaration;
// a const whose value is an object literal (the `criteria` namespace of factories) also has each
// of its members checked, as `criteria.l1Norm` etc.
//
// Examples: each ```ts (or untagged) fenced block of an `@example` becomes a virtual module that is
// type-checked (syntax and semantics) with the project's compiler options, 'tfjs-prune',
// 'tfjs-prune/wasm' and 'tfjs-prune/node' mapped to src/. The block may use, without importing
// them: `tf` (@tensorflow/tfjs), the exports of the entry point that exports the documented name
// (an example is read on that module's page), and the reader's own things declared in
// test/docs/doc-globals.d.ts (`model`, `xTrain`, ...). Anything else it must import or define.
// Names a block imports or declares itself take precedence over these implicit ones.
import * as path from 'path';
import ts from 'typescript';
import { checkVirtualModules, DOC_GLOBALS, docCompilerOptions } from './compile-virtual';

const root = path.resolve(__dirname, '../..');
const entries = [
  { module: 'tfjs-prune', file: path.join(root, 'src/index.ts') },
  { module: 'tfjs-prune/wasm', file: path.join(root, 'src/wasm/index.ts') },
  { module: 'tfjs-prune/node', file: path.join(root, 'src/node/index.ts') },
];
const exampleDir = path.join(root, 'test/docs/__jsdoc_examples__');

interface Documented {
  /** Public name, e.g. `countFlops` or `criteria.l1Norm`. */
  name: string;
  /** Entry point (module specifier) that exports it. */
  module: string;
  /** Where its declaration is: `src/... .ts:line`. */
  where: string;
  description: string;
  /** Raw text of each `@example` tag, with the leading ` * ` of each line removed. */
  examples: { text: string; line: number; file: string }[];
}

interface ExampleFile {
  fileName: string;
  text: string;
  /** Line of the virtual file at which the block starts, and the source position of the block. */
  prologueLines: number;
  owner: Documented;
  sourceLine: number;
}

function rel(file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}

function lineOf(node: ts.Node): number {
  const sf = node.getSourceFile();
  return sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
}

/** The JSDoc blocks attached to a declaration (for a variable: to its statement). */
function jsDocsOf(decl: ts.Node): ts.JSDoc[] {
  return ts.getJSDocCommentsAndTags(decl).filter((n): n is ts.JSDoc => ts.isJSDoc(n));
}

function describe_(name: string, module: string, decls: readonly ts.Node[]): Documented {
  const decl = decls[0];
  const sf = decl.getSourceFile();
  let description = '';
  const examples: Documented['examples'] = [];
  for (const d of decls) {
    for (const doc of jsDocsOf(d)) {
      description ||= (ts.getTextOfJSDocComment(doc.comment) ?? '').trim();
      for (const tag of doc.tags ?? []) {
        if (tag.tagName.text !== 'example') continue;
        // Raw source of the tag: the parsed comment text may lose code-fence details.
        const raw = sf.text.slice(tag.tagName.end, tag.end);
        const text = raw
          .split('\n')
          .map((l) => l.replace(/^\s*\*\/?\s?/, '').replace(/\s*\*\/\s*$/, ''))
          .join('\n');
        examples.push({ text, line: sf.getLineAndCharacterOfPosition(tag.getStart(sf)).line + 1, file: rel(sf.fileName) });
      }
    }
  }
  return { name, module, where: `${rel(sf.fileName)}:${lineOf(decl)}`, description, examples };
}

function resolveAlias(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/**
 * Members of a const initialised with an object literal of functions (`{ a, b: c } as const`, like
 * `criteria`), if it is one. Objects with data members (kernel configs) are documented as a whole.
 */
function objectMembers(checker: ts.TypeChecker, decl: ts.Node, owner: string, module: string): Documented[] {
  if (!ts.isVariableDeclaration(decl) || !decl.initializer) return [];
  let init: ts.Expression = decl.initializer;
  while (ts.isAsExpression(init) || ts.isSatisfiesExpression(init) || ts.isParenthesizedExpression(init)) init = init.expression;
  if (!ts.isObjectLiteralExpression(init)) return [];
  const isFactory = (p: ts.ObjectLiteralElementLike): boolean => checker.getTypeAtLocation(p).getCallSignatures().length > 0;
  if (init.properties.length === 0 || !init.properties.every(isFactory)) return [];
  const out: Documented[] = [];
  for (const prop of init.properties) {
    const name = prop.name && ts.isIdentifier(prop.name) ? prop.name.text : prop.name?.getText();
    if (!name) continue;
    let decls: readonly ts.Node[] = [prop];
    let target: ts.Symbol | undefined;
    if (ts.isShorthandPropertyAssignment(prop)) target = checker.getShorthandAssignmentValueSymbol(prop);
    else if (ts.isPropertyAssignment(prop) && ts.isIdentifier(prop.initializer)) target = checker.getSymbolAtLocation(prop.initializer);
    if (target) decls = resolveAlias(checker, target).declarations ?? decls;
    out.push(describe_(`${owner}.${name}`, module, decls));
  }
  return out;
}

/** Every export of the entry points, each declaration once (the first entry point that exports it). */
function listExports(program: ts.Program): Documented[] {
  const checker = program.getTypeChecker();
  const seen = new Set<ts.Node>();
  const out: Documented[] = [];
  for (const entry of entries) {
    const sf = program.getSourceFile(entry.file);
    if (!sf) throw new Error(`${entry.file} is not in the program`);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (!moduleSymbol) throw new Error(`${entry.file} is not a module`);
    for (const exp of checker.getExportsOfModule(moduleSymbol)) {
      const target = resolveAlias(checker, exp);
      const decls = target.declarations ?? [];
      if (decls.length === 0) throw new Error(`${entry.module}: export ${exp.name} has no declaration`);
      if (seen.has(decls[0])) continue;
      seen.add(decls[0]);
      out.push(describe_(exp.name, entry.module, decls));
      out.push(...objectMembers(checker, decls[0], exp.name, entry.module));
    }
  }
  return out;
}

/** Names a block declares or imports at its top level. */
function topLevelNames(text: string): Set<string> {
  const sf = ts.createSourceFile('block.ts', text, ts.ScriptTarget.ES2020, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  const bind = (n: ts.BindingName): void => {
    if (ts.isIdentifier(n)) names.add(n.text);
    else for (const el of n.elements) if (!ts.isOmittedExpression(el)) bind(el.name);
  };
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && st.importClause) {
      const c = st.importClause;
      if (c.name) names.add(c.name.text);
      if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) names.add(c.namedBindings.name.text);
      if (c.namedBindings && ts.isNamedImports(c.namedBindings)) for (const el of c.namedBindings.elements) names.add(el.name.text);
    } else if (ts.isImportEqualsDeclaration(st)) names.add(st.name.text);
    else if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) bind(d.name);
    else if (
      (ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st) || ts.isEnumDeclaration(st)) &&
      st.name
    )
      names.add(st.name.text);
  }
  return names;
}

/** The fenced code blocks of an example text: ```ts / ```typescript / ```js / ``` (others, e.g. ```text, are output). */
function codeBlocks(text: string): { code: string; offset: number }[] | null {
  const lines = text.split('\n');
  const blocks: { code: string; offset: number }[] = [];
  let fences = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    fences++;
    let j = i + 1;
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) j++;
    if (['', 'ts', 'typescript', 'js', 'javascript'].includes(open[1])) blocks.push({ code: lines.slice(i + 1, j).join('\n'), offset: i + 1 });
    i = j;
  }
  return fences === 0 ? null : blocks;
}

const options = docCompilerOptions();
const baseProgram = ts.createProgram({ rootNames: [...entries.map((e) => e.file), DOC_GLOBALS], options });
const documented = listExports(baseProgram);
const entryExports = new Map(
  entries.map((e) => {
    const checker = baseProgram.getTypeChecker();
    const symbol = checker.getSymbolAtLocation(baseProgram.getSourceFile(e.file)!)!;
    return [e.module, checker.getExportsOfModule(symbol).map((s) => s.name)] as const;
  }),
);

describe('JSDoc of the public API', () => {
  it('lists the exports of the three entry points', () => {
    const names = documented.map((d) => d.name);
    for (const expected of ['pruneIteratively', 'criteria', 'criteria.taylor', 'PruneReport', 'enableWasmTraining', 'fileCheckpointStore'])
      expect(names).toContain(expected);
  });

  it('every export has a description and an @example with a code block', () => {
    const problems: string[] = [];
    for (const d of documented) {
      const missing: string[] = [];
      if (!d.description) missing.push('no description');
      if (d.examples.length === 0) missing.push('no @example');
      for (const ex of d.examples) if (codeBlocks(ex.text)?.length === 0 || codeBlocks(ex.text) === null) missing.push(`@example at ${ex.file}:${ex.line} has no \`\`\`ts block`);
      if (missing.length > 0) problems.push(`${d.module} ${d.name} (${d.where}): ${missing.join('; ')}`);
    }
    expect(problems.join('\n')).toBe('');
  });

  it('every @example compiles against the sources', () => {
    const files: ExampleFile[] = [];
    for (const d of documented) {
      for (const ex of d.examples) {
        for (const block of codeBlocks(ex.text) ?? []) {
          const own = topLevelNames(block.code);
          const implicit = (entryExports.get(d.module) ?? []).filter((n) => !own.has(n));
          const prologue = [
            own.has('tf') ? '' : "import * as tf from '@tensorflow/tfjs';",
            implicit.length > 0 ? `import { ${implicit.join(', ')} } from '${d.module}';` : '',
          ];
          const fileName = path.join(exampleDir, `${d.name.replace(/\W/g, '_')}_${files.length}.ts`);
          files.push({
            fileName,
            text: `${prologue.join('\n')}\n${block.code}\nexport {};\n`,
            prologueLines: prologue.length,
            owner: d,
            sourceLine: ex.line + block.offset,
          });
        }
      }
    }
    const diagnostics = checkVirtualModules(new Map(files.map((f) => [f.fileName, f.text])), options, entries.map((e) => e.file), baseProgram);
    const problems: string[] = [];
    for (const f of files) {
      for (const { line, message } of diagnostics.get(f.fileName)!) {
        const where = line < f.prologueLines ? `(implicit imports of) ${f.owner.where}` : `${f.owner.where.split(':')[0]}:${f.sourceLine + line - f.prologueLines}`;
        problems.push(`${f.owner.name} example, ${where}: ${message}`);
      }
    }
    expect(problems.join('\n')).toBe('');
  });
});
