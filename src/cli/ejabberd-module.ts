// `xmpp-invites ejabberd-module build --out DIR`: compiles the ejabberd bridge module shipped in the
// package (ejabberd/mod_xmpp_invites.erl) for the ejabberd installed here, with the Erlang compiler
// that comes with it and against its include files and those of its xmpp library. A module built
// for one ejabberd version is rebuilt after an upgrade: record shapes differ between versions.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { basename, delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { UsageError, usage } from "./usage.js";

/** The module's source, in the package (two levels up from src/cli or dist/cli). */
export const MODULE_SOURCE = fileURLToPath(new URL("../../ejabberd/mod_xmpp_invites.erl", import.meta.url));

export class BuildError extends Error {
  override name = "BuildError" as const;
}

export interface BuildOptions {
  readonly out: string;
  /** ejabberd's library directory (with include/ and ebin/), e.g. /usr/lib/x86_64-linux-gnu/ejabberd-24.12. */
  readonly ejabberdDir?: string | undefined;
  /** The xmpp library's include directory, e.g. /usr/lib/erlang/lib/p1_xmpp-1.9.4/include. */
  readonly xmppInclude?: string | undefined;
  /** PATH to find erlc in (default: this process's). */
  readonly path?: string | undefined;
}

export interface Built {
  readonly beam: string;
  /** From the library directory's name, e.g. "24.12". */
  readonly ejabberdVersion: string;
}

// Debian and Ubuntu (multiarch), other distributions, ProcessOne's installers.
const EJABBERD_ROOTS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/lib/erlang/lib", "/opt/ejabberd/lib"];
const XMPP_ROOTS = ["/usr/lib/erlang/lib", "/usr/local/lib/erlang/lib", "/opt/ejabberd/lib"];

export async function buildEjabberdModule(options: BuildOptions): Promise<Built> {
  const erlc = findOnPath("erlc", options.path ?? process.env["PATH"] ?? "");
  if (!erlc) throw new BuildError("erlc (the Erlang compiler) was not found on PATH: install ejabberd, whose Erlang brings it (Debian: erlang-base)");
  const ejabberdDir = options.ejabberdDir ?? newest(EJABBERD_ROOTS, /^ejabberd-\d/);
  if (!ejabberdDir) throw new BuildError(`ejabberd was not found (looked for ejabberd-VERSION/include in ${EJABBERD_ROOTS.join(", ")}): install it, or name its directory with --ejabberd DIR`);
  if (!existsSync(join(ejabberdDir, "include", "logger.hrl"))) throw new BuildError(`${ejabberdDir} has no ejabberd include files (include/logger.hrl)`);
  const xmppInclude = options.xmppInclude ?? xmppIncludeNear(ejabberdDir);
  if (!xmppInclude || !existsSync(join(xmppInclude, "xmpp.hrl"))) {
    throw new BuildError(`the include files of ejabberd's xmpp library were not found (xmpp.hrl, looked in ${XMPP_ROOTS.join(", ")}): name them with --xmpp-include DIR`);
  }
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });
  await compile(erlc, ["-o", out, "-pa", join(ejabberdDir, "ebin"), "-I", join(ejabberdDir, "include"), "-I", xmppInclude, MODULE_SOURCE]);
  return { beam: join(out, "mod_xmpp_invites.beam"), ejabberdVersion: /^ejabberd-(\d+(?:\.\d+)*)/.exec(basename(ejabberdDir))?.[1] ?? basename(ejabberdDir) };
}

function findOnPath(name: string, path: string): string | undefined {
  return path.split(delimiter).filter(Boolean).map((dir) => join(dir, name)).find((file) => existsSync(file));
}

/** The directory matching `pattern` with the highest version under any of `roots`. */
function newest(roots: readonly string[], pattern: RegExp): string | undefined {
  const found = roots.flatMap((root) => {
    try {
      return readdirSync(root).filter((name) => pattern.test(name)).map((name) => join(root, name));
    } catch {
      return [];
    }
  }).filter((dir) => existsSync(join(dir, "include")));
  return found.sort((a, b) => basename(a).localeCompare(basename(b), "en", { numeric: true })).at(-1);
}

/** Next to ejabberd (ProcessOne's installers) first, then Erlang's library directories (Debian: p1_xmpp). */
function xmppIncludeNear(ejabberdDir: string): string | undefined {
  const dir = newest([join(ejabberdDir, ".."), ...XMPP_ROOTS], /^(p1_)?xmpp-\d/);
  return dir && join(dir, "include");
}

function compile(erlc: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    execFile(erlc, args, { encoding: "utf8", timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) fail(new BuildError(`erlc failed:\n${`${stdout}${stderr}`.trim() || err.message}`));
      else done();
    });
  });
}

export const CONFIG_LINES = (component: string) => `modules:
  mod_xmpp_invites:
    component: ${component}`;

export async function runEjabberdModule(args: string[]): Promise<number> {
  const { values, positionals } = usage(() => parseArgs({
    args, allowPositionals: true, strict: true,
    options: { out: { type: "string" }, ejabberd: { type: "string" }, "xmpp-include": { type: "string" }, component: { type: "string" } },
  }));
  if (positionals[0] !== "build" || positionals.length > 1) throw new UsageError('ejabberd-module takes one subcommand: "build --out DIR"');
  if (!values.out) throw new UsageError("--out DIR is needed: where to write mod_xmpp_invites.beam");
  const built = await buildEjabberdModule({ out: values.out, ejabberdDir: values.ejabberd, xmppInclude: values["xmpp-include"] });
  process.stdout.write(`Built ${built.beam} for ejabberd ${built.ejabberdVersion}.

Load it with ejabberd's code path, e.g. in /etc/ejabberd/ejabberdctl.cfg:
  ERL_OPTIONS="-pa ${resolve(values.out)}"
and in ejabberd.yml (the component's JID):
${CONFIG_LINES(values.component ?? "invites.example.org").replace(/^/gm, "  ")}
Rebuild it after every upgrade of ejabberd.
`);
  return 0;
}
