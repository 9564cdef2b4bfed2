// Prosody's admin shell (`prosodyctl shell`), for a component running beside Prosody without
// admin rights: accounts through `user:*` commands, roster items through core.rostermanager.
// Requests that arrive together share one process (about 65 ms per process, 4 ms per command).
import { execFile } from "node:child_process";
import type { Logger } from "pino";
import type { Account, ChangePasswordResult, CreateAccountResult, ServerAdapter } from "../../invites/ports/server.js";
import type { RosterResult, RosterWriter } from "../../invites/ports/roster.js";
import { parseJid } from "../../protocol/jid.js";

export interface ProsodyctlOptions {
  /** Path of prosody.cfg.lua. */
  readonly config: string;
  readonly command: string;
  readonly domain: string;
  readonly timeoutMs: number;
  /** Shell input and transcript at trace (the logger masks the passwords in user:* lines). */
  readonly log?: Logger | undefined;
}

/** A Lua string literal for any bytes: letters and digits as they are, everything else as \ddd. */
export function luaString(value: string): string {
  let out = '"';
  for (const byte of Buffer.from(value, "utf8")) {
    const isPlain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
    out += isPlain ? String.fromCharCode(byte) : `\\${byte.toString().padStart(3, "0")}`;
  }
  return `${out}"`;
}

type LineResult = { ok: true; text: string } | { ok: false; text: string; unavailable?: boolean };

/** Splits the shell's transcript into one result per command, in order. */
export function parseShellOutput(stdout: string, count: number): LineResult[] {
  const segments = stdout.split(/(?:^|\n)prosody> /).slice(1);
  const results: LineResult[] = [];
  for (let i = 0; i < count; i++) {
    const segment = segments[i];
    if (segment === undefined) {
      results.push({ ok: false, text: "no answer from prosodyctl shell", unavailable: true });
      continue;
    }
    const body = segment.split("\n").slice(1).join("\n");
    const error = /^! (?:Error: )?(.*)$/m.exec(body);
    if (error) results.push({ ok: false, text: error[1] ?? "" });
    else if (/^\| (OK|Result):/m.test(body)) results.push({ ok: true, text: body.trim() });
    else results.push({ ok: false, text: body.trim() || "empty answer" });
  }
  return results;
}

export function createProsodyctl(options: ProsodyctlOptions): { adapter: ServerAdapter; roster: RosterWriter } {
  let queue: Array<{ line: string; resolve: (result: LineResult) => void }> = [];
  let timer: NodeJS.Timeout | undefined;

  const flush = () => {
    timer = undefined;
    const batch = queue;
    queue = [];
    const input = `${batch.map((item) => item.line).join("\n")}\n`;
    options.log?.trace({ input }, "prosodyctl shell input");
    const child = execFile(options.command, ["--config", options.config, "shell"], { timeout: options.timeoutMs, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => {
        options.log?.trace({ output: stdout.slice(0, 4000), err: err?.message }, "prosodyctl shell output");
        const results = err && !stdout
          ? batch.map(() => ({ ok: false as const, text: err.killed ? `prosodyctl shell timed out after ${options.timeoutMs} ms` : `prosodyctl shell failed: ${err.message}`, unavailable: true }))
          : parseShellOutput(stdout, batch.length);
        batch.forEach((item, i) => item.resolve(results[i] ?? { ok: false, text: "no answer", unavailable: true }));
      });
    // The process may be gone before it reads its input; the callback above reports that.
    child.stdin?.on("error", () => undefined);
    child.stdin?.end(input);
  };

  const run = (line: string) =>
    new Promise<LineResult>((resolve) => {
      queue.push({ line, resolve });
      if (queue.length >= 100) {
        clearTimeout(timer);
        flush();
      } else if (timer === undefined) {
        timer = setTimeout(flush, 5);
      }
    });

  const jid = (username: string) => luaString(`${username}@${options.domain}`);
  const failed = (result: Extract<LineResult, { ok: false }>) => ({ ok: false as const, reason: result.unavailable ? ("unavailable" as const) : ("rejected" as const), detail: result.text });

  const adapter: ServerAdapter = {
    kind: "prosodyctl",
    async accountExists(username) {
      const line = `>return require "core.usermanager".user_exists(${luaString(username)}, ${luaString(options.domain)}) and "account-exists" or "account-missing"`;
      const result = await run(line);
      if (result.ok && /account-exists/.test(result.text)) return { exists: true };
      if (result.ok && /account-missing/.test(result.text)) return { exists: false };
      return { exists: "unknown", detail: result.text };
    },
    async createAccount(account: Account): Promise<CreateAccountResult> {
      const result = await run(`user:create(${jid(account.username)}, ${luaString(account.password)})`);
      if (result.ok) return { ok: true };
      return /exists/i.test(result.text) ? { ok: false, reason: "exists", detail: result.text } : failed(result);
    },
    async changePassword(account: Account): Promise<ChangePasswordResult> {
      const result = await run(`user:password(${jid(account.username)}, ${luaString(account.password)})`);
      if (result.ok) return { ok: true };
      return /no such user/i.test(result.text) ? { ok: false, reason: "missing", detail: result.text } : failed(result);
    },
    async deleteAccount(username: string): Promise<ChangePasswordResult> {
      const result = await run(`user:delete(${jid(username)})`);
      if (result.ok) return { ok: true };
      return /no such user/i.test(result.text) ? { ok: false, reason: "missing", detail: result.text } : failed(result);
    },
  };

  const roster: RosterWriter = {
    kind: "prosodyctl",
    isAvailable: () => true,
    async setSubscribed(owner, item): Promise<RosterResult> {
      const { local, domain } = parseJid(owner) ?? { local: "", domain: "" };
      const groups = item.groups.map((group) => `[${luaString(group)}]=true`).join(",");
      // Inside the running server: the item is saved and pushed to the owner's online sessions.
      const line = `>local rm = require "core.rostermanager"; local u, h, c = ${luaString(local)}, ${luaString(domain)}, ${luaString(item.jid)}; ` +
        `if not require "core.usermanager".user_exists(u, h) then error("no such user") end; ` +
        `local r = rm.load_roster(u, h); r[c] = { subscription = "both", groups = { ${groups} } }; ` +
        `assert(rm.save_roster(u, h, r, c)); rm.roster_push(u, h, c); return "roster-ok"`;
      const result = await run(line);
      return result.ok && /roster-ok/.test(result.text) ? { ok: true } : { ok: false, reason: !result.ok && result.unavailable ? "unavailable" : "rejected", detail: result.text };
    },
  };
  return { adapter, roster };
}
