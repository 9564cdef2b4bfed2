// Fails (exit 1) when a function in src/ is longer than 100 lines, counted from its first token
// (after any doc comment) to its closing brace, as `npm run lint` runs it. Data-only files, whose
// one long function is a literal document, are exempt.
// Usage: node scripts/function-length.mjs [DIR…]   (default: src)
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const MAX_LINES = 100;
/** Paths (from the project root) of files that hold data, not logic. */
export const EXEMPT = ["src/http/openapi.ts"];

/** Every function-like body in `text` with its length in lines, its name and first line. */
export function functionLengths(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found = [];
  const visit = (node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.end).line;
      found.push({ name: nameOf(node, source), line: first + 1, lines: last - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function nameOf(node, source) {
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))) return parent.name.getText(source);
  return "(anonymous)";
}

/** The functions over `max` lines in the .ts files under `dirs`, longest first; paths relative to `root`. */
export function longFunctions(dirs, { root = process.cwd(), max = MAX_LINES, exempt = EXEMPT } = {}) {
  const over = [];
  for (const file of dirs.flatMap((dir) => tsFiles(resolve(root, dir)))) {
    const path = relative(root, file).split(sep).join("/");
    if (exempt.includes(path)) continue;
    for (const fn of functionLengths(file, readFileSync(file, "utf8"))) if (fn.lines > max) over.push({ ...fn, file: path });
  }
  return over.sort((a, b) => b.lines - a.lines);
}

function tsFiles(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return /\.ts$/.test(entry) && !/\.d\.ts$/.test(entry) ? [path] : [];
  });
}

function main(args) {
  const over = longFunctions(args.length > 0 ? args : ["src"]);
  for (const fn of over) console.error(`${fn.file}:${fn.line}: ${fn.name} is ${fn.lines} lines (at most ${MAX_LINES}): split it by concern`);
  return over.length === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
