// Finding, reading and validating config.json: every problem is reported at once, in plain words.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { z } from "zod";
import { type Config, configSchema } from "./schema.js";

export class ConfigError extends Error {
  override name = "ConfigError" as const;
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`${source} is not a valid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.problems = problems;
  }
}

/** --config, else $XMPP_INVITES_CONFIG, else ./config.json. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(flag ?? env["XMPP_INVITES_CONFIG"] ?? "config.json");
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : `${i > 0 ? "." : ""}${String(key)}`)).join("");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `unknown key "${path ? `${path}.` : ""}${key}"`).join("; ");
  }
  if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) return `${path}: is required`;
  if (issue.code === "invalid_union" && path === "adapter.type") return `${path}: must be one of "xep0133", "xep0133-account", "ejabberd-api", "prosodyctl"`;
  if (issue.code === "invalid_union" && path === "adapter.roster.type") return `${path}: must be one of "xep0356", "ejabberd-api", "prosodyctl", "none"`;
  return `${path || "(top level)"}: ${issue.message}`;
}

/** Validates a parsed JSON value; `baseDir` anchors a relative database path. */
export function parseConfig(value: unknown, source = "configuration", baseDir = process.cwd()): Config {
  const result = configSchema.safeParse(value);
  if (!result.success) throw new ConfigError(source, result.error.issues.map(describeIssue));
  const config = result.data;
  // A postgresql:// or postgres:// URL names a server; anything else is a SQLite file.
  const database = config.database === ":memory:" || isAbsolute(config.database) || /^postgres(ql)?:\/\//i.test(config.database) ? config.database : resolve(baseDir, config.database);
  return deepFreeze({ ...config, database });
}

export function loadConfig(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(path, [code === "ENOENT" ? "file not found (copy config.example.json to start)" : `cannot be read (${code ?? String(err)})`]);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(path, [`is not valid JSON: ${(err as Error).message}`]);
  }
  return parseConfig(value, path, dirname(path));
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
