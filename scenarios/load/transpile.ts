// A user's .ts scenario file as an ES module Node can import: the TypeScript compiler transpiles
// it (syntax only, no type check) into a private temp directory. Type imports — `import type
// { TsScenario } from 'pmfit'` — are erased. Relative imports are pointed back at the user's
// directory, and a relative import of a .ts helper (written `./helper.js`, as TypeScript wants) is
// transpiled too. An inline source map names the user's file, so stack traces and the call sites
// of recorded stores show the .ts lines.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { UsageError } from '../../core/support/errors.js';

const COMPILER_OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  sourceMap: true,
};

/** Transpiles `path` (and the .ts files it imports relatively) into `outDir`; returns the module URL. */
export function transpileScenario(file: string, path: string, outDir: string): string {
  return new Transpiler(outDir).module(file, path);
}

class Transpiler {
  /** Original absolute path → URL of its transpiled module. */
  private readonly done = new Map<string, string>();

  constructor(private readonly outDir: string) {}

  module(file: string, path: string): string {
    const known = this.done.get(path);
    if (known) return known;
    const out = join(this.outDir, `${this.done.size}-${basename(path).replace(/\.[cm]?ts$/, '')}.mjs`);
    const url = pathToFileURL(out).href;
    this.done.set(path, url);
    const result = ts.transpileModule(readFileSync(path, 'utf8'), {
      fileName: path,
      reportDiagnostics: true,
      compilerOptions: COMPILER_OPTIONS,
      transformers: { after: [(context) => (source) => this.rewriteImports(context, source, path)] },
    });
    const error = result.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
    if (error)
      throw new UsageError(
        `${where(file, error)}: syntax error: ${ts.flattenDiagnosticMessageText(error.messageText, ' ')}`,
      );
    writeFileSync(out, withInlineMap(result.outputText, result.sourceMapText, path));
    return url;
  }

  /** Points relative module specifiers at the user's directory (or at a transpiled .ts helper). */
  private rewriteImports(context: ts.TransformationContext, source: ts.SourceFile, path: string): ts.SourceFile {
    const f = context.factory;
    const target = (spec: ts.Expression): ts.StringLiteral | undefined => {
      if (!ts.isStringLiteral(spec) || !/^\.\.?\//.test(spec.text)) return undefined;
      return f.createStringLiteral(this.resolveImport(path, spec.text));
    };
    const visit = (node: ts.Node): ts.Node => {
      if (ts.isImportDeclaration(node)) {
        const spec = target(node.moduleSpecifier);
        if (spec) return f.updateImportDeclaration(node, node.modifiers, node.importClause, spec, node.attributes);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
        const spec = target(node.moduleSpecifier);
        if (spec)
          return f.updateExportDeclaration(
            node,
            node.modifiers,
            node.isTypeOnly,
            node.exportClause,
            spec,
            node.attributes,
          );
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments.length > 0
      ) {
        const spec = target(node.arguments[0]!);
        if (spec)
          return f.updateCallExpression(node, node.expression, node.typeArguments, [spec, ...node.arguments.slice(1)]);
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(source, visit) as ts.SourceFile;
  }

  /** The URL a relative import resolves to: the file itself, or the transpiled copy of a .ts file. */
  private resolveImport(from: string, spec: string): string {
    const path = resolve(dirname(from), spec);
    const tsTwin = [path.replace(/\.js$/, '.ts'), path.replace(/\.mjs$/, '.mts'), `${path}.ts`].find(
      (p) => p !== path && existsSync(p),
    );
    if (/\.m?ts$/.test(path) && existsSync(path)) return this.module(relative(process.cwd(), path), path);
    if (!existsSync(path) && tsTwin) return this.module(relative(process.cwd(), tsTwin), tsTwin);
    return pathToFileURL(path).href;
  }
}

/** The compiler's one-line syntax error in a JavaScript file (Node's SyntaxError has no position), if it sees one. */
export function javaScriptSyntaxError(file: string, path: string): string | undefined {
  const result = ts.transpileModule(readFileSync(path, 'utf8'), {
    fileName: path,
    reportDiagnostics: true,
    compilerOptions: { ...COMPILER_OPTIONS, allowJs: true },
  });
  const error = result.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  return error && `${where(file, error)}: syntax error: ${ts.flattenDiagnosticMessageText(error.messageText, ' ')}`;
}

/** `file:line:col` of a diagnostic, or the file alone. */
function where(file: string, d: ts.Diagnostic): string {
  if (!d.file || d.start === undefined) return file;
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `${file}:${line + 1}:${character + 1}`;
}

/** The emitted JavaScript with its source map inline, naming the user's .ts file by absolute URL. */
function withInlineMap(js: string, mapText: string | undefined, path: string): string {
  const code = js.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  if (!mapText) return code;
  const map = JSON.parse(mapText) as { sources: string[]; sourceRoot?: string };
  map.sources = [pathToFileURL(path).href];
  delete map.sourceRoot;
  return `${code}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString('base64')}\n`;
}
