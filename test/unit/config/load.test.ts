import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, configPath, loadConfig, parseConfig } from "../../../src/config/load.js";

const minimal = { domain: "example.org", component: { service: "xmpp://127.0.0.1:5347", domain: "invites.example.org", secret: "s" } };
const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(value: unknown): readonly string[] {
  try {
    parseConfig(value);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("configuration", () => {
  it("config.example.json validates", () => {
    const config = loadConfig(resolve("config.example.json"));
    expect(config.domain).toBe("example.org");
    expect(config.invite_expiry).toBe(604800);
    expect(config.adapter).toEqual({ type: "xep0133", timeout: 10, roster: { type: "xep0356" } });
  });

  it("fills in Prosody's defaults", () => {
    const config = parseConfig(minimal, "test", "/srv/invites");
    expect(config).toMatchObject({
      registration_invite_only: true,
      allow_registration: false,
      invite_expiry: 604800,
      database: "/srv/invites/data/invites.sqlite",
      adapter: { type: "xep0133", timeout: 10, roster: { type: "xep0356" } },
      admins: [],
      log_level: "info",
    });
    expect(Object.isFrozen(config) && Object.isFrozen(config.component)).toBe(true);
  });

  it("lists every problem at once, in plain words", () => {
    expect(problems({ domain: "not a domain", component: { service: "http://x", secret: "" }, invite_expiry: "soon", admins: ["a/b"], extra: 1 })).toEqual([
      "domain: must be a domain name such as example.org",
      "component.service: must look like xmpp://127.0.0.1:5347 (host and component port of the XMPP server)",
      "component.domain: is required",
      "component.secret: must not be empty",
      'invite_expiry: must be a number of seconds or a period such as "7d", "12h" or "1 week"',
      "admins[0]: must be a bare JID such as admin@example.org",
      'unknown key "extra"',
    ]);
  });

  it("treats unknown keys as errors at every level", () => {
    expect(problems({ ...minimal, component: { ...minimal.component, port: 5347 } })).toEqual(['unknown key "component.port"']);
    expect(problems({ ...minimal, adapter: { type: "ejabberd" } })).toEqual(['adapter.type: must be one of "xep0133", "xep0133-account", "ejabberd-api", "prosodyctl"']);
  });

  it("accepts each adapter with its fixed key names, and derives its roster capability", () => {
    const ejabberd = parseConfig({ ...minimal, adapter: { type: "ejabberd-api", url: "http://127.0.0.1:5280/api" } });
    expect(ejabberd.adapter).toMatchObject({ type: "ejabberd-api", url: "http://127.0.0.1:5280/api", timeout: 10 });
    const account = parseConfig({ ...minimal, adapter: { type: "xep0133-account", jid: "admin@example.org", password: "p", service: "xmpp://127.0.0.1:5222" } });
    expect(account.adapter).toMatchObject({ roster: { type: "xep0356" } });
    const pctl = parseConfig({ ...minimal, adapter: { type: "prosodyctl", config: "/etc/prosody/prosody.cfg.lua" } });
    expect(pctl.adapter).toMatchObject({ command: "prosodyctl" });
    expect(problems({ ...minimal, adapter: { type: "xep0133-account", jid: "nobody", service: "http://x" } })).toEqual([
      "adapter.jid: must be a bare JID such as admin@example.org",
      "adapter.password: is required",
      "adapter.service: must look like xmpp://127.0.0.1:5222",
    ]);
  });

  it("refuses a config that promises contact invites without a roster capability", () => {
    expect(problems({ ...minimal, adapter: { type: "xep0133", roster: { type: "none" } } })).toEqual([
      "allow_contact_invites: contact invites need a roster capability: set adapter.roster, or set allow_contact_invites to false",
    ]);
    expect(problems({ ...minimal, allow_contact_invites: false, adapter: { type: "xep0133", roster: { type: "none" } } })).toEqual([]);
  });

  it("reads config files, reporting missing files and bad JSON clearly", () => {
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify({ ...minimal, database: "db/x.sqlite", invite_expiry: "2d" }));
    const config = loadConfig(file);
    expect(config.database).toBe(join(dir, "db/x.sqlite"));
    expect(config.invite_expiry).toBe(172800);
    writeFileSync(file, "{ nope");
    expect(() => loadConfig(file)).toThrow(/is not valid JSON/);
    expect(() => loadConfig(join(dir, "missing.json"))).toThrow(/file not found/);
  });

  it("finds the file from --config, then $XMPP_INVITES_CONFIG, then ./config.json", () => {
    expect(configPath("/a/b.json", { XMPP_INVITES_CONFIG: "/c/d.json" })).toBe("/a/b.json");
    expect(configPath(undefined, { XMPP_INVITES_CONFIG: "/c/d.json" })).toBe("/c/d.json");
    expect(configPath(undefined, {})).toBe(resolve("config.json"));
  });
});
