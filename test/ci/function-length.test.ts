// The lint step on function length: a function of 101 lines fails `npm run lint`, one of 100
// passes, and the data-only files on the exemption list are not measured.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EXEMPT, MAX_LINES, functionLengths, longFunctions } from "../../scripts/function-length.mjs";

const SCRIPT = resolve("scripts/function-length.mjs");

/** A function declaration of exactly `lines` lines, from `function` to its closing brace. */
const fn = (name: string, lines: number) => `/** A doc comment is not counted. */\nexport function ${name}(): number {\n${"  void 0;\n".repeat(lines - 3)}  return 1;\n}\n`;

let root: string | undefined;
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function project(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), "function-length-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const lint = (cwd: string) => spawnSync(process.execPath, [SCRIPT], { cwd, encoding: "utf8" });

describe("function length lint", () => {
  it("counts a function from its first line to its closing brace, whatever its form", () => {
    expect(functionLengths("a.ts", fn("exact", 7))).toEqual([{ name: "exact", line: 2, lines: 7 }]);
    const text = "const arrow = () => {\n  return 1;\n};\nclass C {\n  method() {\n    return 2;\n  }\n}\n";
    expect(functionLengths("b.ts", text)).toEqual([{ name: "arrow", line: 1, lines: 3 }, { name: "method", line: 5, lines: 3 }]);
  });

  it(`a function of ${MAX_LINES} lines passes`, () => {
    const dir = project({ "src/ok.ts": fn("atTheLimit", MAX_LINES) });
    expect(longFunctions(["src"], { root: dir })).toEqual([]);
    const run = lint(dir);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe("");
  });

  it(`a function of ${MAX_LINES + 1} lines fails, named with its file, line and length`, () => {
    const dir = project({ "src/ok.ts": fn("atTheLimit", MAX_LINES), "src/deep/long.ts": fn("tooLong", MAX_LINES + 1) });
    expect(longFunctions(["src"], { root: dir })).toEqual([{ file: "src/deep/long.ts", name: "tooLong", line: 2, lines: MAX_LINES + 1 }]);
    const run = lint(dir);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`src/deep/long.ts:2: tooLong is ${MAX_LINES + 1} lines`);
    expect(run.stderr).not.toContain("atTheLimit");
  });

  it("a nested function is measured on its own, and its parent with it", () => {
    const inner = fn("inner", MAX_LINES + 1).replace("export ", "");
    const dir = project({ "src/nested.ts": `export function outer(): void {\n${inner}}\n` });
    expect(longFunctions(["src"], { root: dir }).map((f) => f.name)).toEqual(["outer", "inner"]);
  });

  it("the data-only files on the exemption list (the OpenAPI document) are not measured; the same text elsewhere is", () => {
    expect(EXEMPT).toEqual(["src/http/openapi.ts"]);
    const dir = project({ "src/http/openapi.ts": fn("openApiDocument", 250) });
    expect(lint(dir).status).toBe(0);
    writeFileSync(join(dir, "src/http/other.ts"), fn("openApiDocument", 250));
    expect(lint(dir).status).toBe(1);
  });
});
