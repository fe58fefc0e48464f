/**
 * Builds @invite/sdk for publication: `node scripts/build-sdk.ts [--out DIR]` (default
 * libs/sdk/dist), then `npm publish DIR`.
 *
 * In the repository the SDK is TypeScript that takes its types from libs/contracts, a
 * private package. The published package must stand alone, so this writes JavaScript
 * and declarations for libs/sdk/src, and replaces the declarations of src/types.ts (the
 * one module that imports the contracts) with every type written out in full, each
 * property with its doc comment from the schema. It fails if anything published still
 * refers to @invite/contracts or typebox, and writes a package.json without the
 * workspace's private flag, scripts and development dependencies.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import ts from 'typescript';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const sdk = join(root, 'libs/sdk');
const source = join(sdk, 'src');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const out = resolve(values.out ?? join(sdk, 'dist'));

const compilerOptions: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2024.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts', 'lib.dom.asynciterable.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  rewriteRelativeImportExtensions: true,
  declaration: true,
  strict: true,
  skipLibCheck: true,
  types: [],
  rootDir: source,
  outDir: out,
  newLine: ts.NewLineKind.LineFeed,
};

const files = readdirSync(source, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => join(source, file));

// First the types of src/types.ts, written out in full from the contracts; then the
// SDK compiled with that text in place of src/types.ts, so nothing emitted can name them.
const typesFile = join(source, 'types.ts');
const typesText = expandedTypes(createProgram(ts.createCompilerHost(compilerOptions)), typesFile);
const host = ts.createCompilerHost(compilerOptions);
const readFile = host.readFile.bind(host);
host.readFile = (file) => (resolve(file) === typesFile ? typesText : readFile(file));
const getSourceFile = host.getSourceFile.bind(host);
host.getSourceFile = (file, language, ...rest) =>
  resolve(file) === typesFile ? ts.createSourceFile(file, typesText, language) : getSourceFile(file, language, ...rest);

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const program = createProgram(host);
const emitted = program.emit();
if (emitted.diagnostics.length > 0) fail(formatted(emitted.diagnostics));

for (const file of readdirSync(out, { recursive: true, encoding: 'utf8' })) {
  const path = join(out, file);
  if (!file.endsWith('.js') && !file.endsWith('.ts')) continue;
  // Declarations keep the sources' `.ts` specifiers; published files are `.js` and `.d.ts`.
  const text = readFileSync(path, 'utf8').replace(/((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+)\.ts\2/g, '$1$2$3.js$2');
  if (/['"](@invite\/contracts|typebox)['"/]/.test(text)) fail(`${file} still refers to ${/@invite\/contracts|typebox/.exec(text)![0]}`);
  writeFileSync(path, text);
}

const manifest = JSON.parse(readFileSync(join(sdk, 'package.json'), 'utf8')) as Record<string, unknown>;
const published = {
  name: manifest.name,
  version: manifest.version,
  description: manifest.description,
  license: manifest.license,
  type: 'module',
  sideEffects: false,
  engines: manifest.engines,
  exports: { '.': { types: './index.d.ts', default: './index.js' } },
  types: './index.d.ts',
};
writeFileSync(join(out, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
cpSync(join(sdk, 'README.md'), join(out, 'README.md'));
const shown = relative(process.cwd(), out).startsWith('..') ? out : relative(process.cwd(), out) || '.';
console.log(`@invite/sdk ${String(manifest.version)} built in ${shown}; publish it with: npm publish ${shown}`);

/** A program of the SDK's sources; errors in them stop the build (the contracts are the repository's typecheck's business). */
function createProgram(compilerHost: ts.CompilerHost): ts.Program {
  const created = ts.createProgram(files, compilerOptions, compilerHost);
  const diagnostics = ts.getPreEmitDiagnostics(created).filter((d) => !d.file || resolve(d.file.fileName).startsWith(source));
  if (diagnostics.length > 0) fail(formatted(diagnostics));
  return created;
}

function formatted(diagnostics: readonly ts.Diagnostic[]): string {
  return ts.formatDiagnosticsWithColorAndContext(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' });
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

/** The declarations of `file`'s exported types, each written out in full (no import left). */
function expandedTypes(program: ts.Program, file: string): string {
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  const blocks = checker.getExportsOfModule(module).map((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const type = checker.getDeclaredTypeOfSymbol(symbol);
    return `${docComment(symbol, '')}export type ${exported.name} = ${printType(checker, type, '')};\n`;
  });
  return `// The types of the invite platform's HTTP API, written out from its schemas (libs/contracts).\n\n${blocks.join('\n')}`;

  function docComment(symbol: ts.Symbol, indent: string): string {
    const text = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
    if (!text) return '';
    const lines = text.split('\n');
    return lines.length === 1 ? `${indent}/** ${text} */\n` : `${indent}/**\n${lines.map((line) => `${indent} * ${line}`.trimEnd()).join('\n')}\n${indent} */\n`;
  }

  /** `type` as TypeScript source; `optional`: an optional property's, whose `undefined` the `?` already says. */
  function printType(checker: ts.TypeChecker, type: ts.Type, indent: string, optional = false): string {
    const flags = type.flags;
    if (flags & ts.TypeFlags.Any) return 'any';
    if (flags & ts.TypeFlags.Unknown) return 'unknown';
    if (flags & ts.TypeFlags.String) return 'string';
    if (flags & ts.TypeFlags.Number) return 'number';
    if (flags & ts.TypeFlags.Boolean) return 'boolean';
    if (flags & ts.TypeFlags.Null) return 'null';
    if (flags & ts.TypeFlags.Undefined) return 'undefined';
    if (flags & ts.TypeFlags.Never) return 'never';
    if (type.isStringLiteral()) return JSON.stringify(type.value);
    if (type.isNumberLiteral()) return String(type.value);
    if (flags & ts.TypeFlags.BooleanLiteral) return checker.typeToString(type);
    if (type.isUnion()) {
      const members = type.types.filter((m) => !(optional && m.flags & ts.TypeFlags.Undefined));
      const both = members.some((m) => checker.typeToString(m) === 'true') && members.some((m) => checker.typeToString(m) === 'false');
      const parts = members.filter((m) => !(both && m.flags & ts.TypeFlags.BooleanLiteral)).map((m) => printType(checker, m, indent));
      return [...parts, ...(both ? ['boolean'] : [])].join(' | ');
    }
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as ts.TypeReference);
      const printed = printType(checker, element!, indent);
      return element!.isUnion() ? `(${printed})[]` : `${printed}[]`;
    }
    if (flags & ts.TypeFlags.Object || type.isIntersection()) {
      const inner = `${indent}  `;
      const lines: string[] = [];
      for (const info of checker.getIndexInfosOfType(type)) {
        lines.push(`${inner}[key: ${printType(checker, info.keyType, inner)}]: ${printType(checker, info.type, inner)};`);
      }
      for (const property of checker.getPropertiesOfType(type)) {
        const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
        const name = /^[A-Za-z_$][\w$]*$/.test(property.name) ? property.name : JSON.stringify(property.name);
        lines.push(`${docComment(property, inner)}${inner}${name}${optional ? '?' : ''}: ${printType(checker, checker.getTypeOfSymbol(property), inner, optional)};`);
      }
      return lines.length === 0 ? 'Record<string, never>' : `{\n${lines.join('\n')}\n${indent}}`;
    }
    return fail(`cannot write out the type ${checker.typeToString(type)}`);
  }

}
