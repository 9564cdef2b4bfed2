// The built CLI, run as an operator would run it, against a temporary database.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AccountRequestService } from "../../src/invites/requests/account-requests.js";
import { ApiKeyService } from "../../src/invites/service/api-keys.js";
import { systemClock } from "../../src/invites/domain/clock.js";
import { InviteService } from "../../src/invites/service/invite-service.js";
import { openSqliteStores } from "../../src/adapters/store/sqlite/index.js";

const BIN = resolve("dist/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-cli-"));
const config = join(dir, "config.json");
writeFileSync(config, JSON.stringify({
  domain: "example.test",
  component: { service: "xmpp://127.0.0.1:5347", domain: "invites.example.test", secret: "cli-secret" },
  database: "./state/invites.sqlite",
}));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, XMPP_INVITES_CONFIG: config } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("xmpp-invites CLI", () => {
  it("invite create --json prints id, token, type, uri and expires, with a token only shown there", () => {
    const { code, stdout } = cli("invite", "create", "--json", "--note", "for Alice");
    expect(code).toBe(0);
    const created = JSON.parse(stdout) as Record<string, unknown>;
    expect(created).toMatchObject({ type: "account", max_uses: 1, uses: 0, note: "for Alice", status: "active" });
    expect(created["token"]).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(created["uri"]).toBe(`xmpp:example.test?register;preauth=${String(created["token"])}`);
    expect(Date.parse(String(created["expires"])) - Date.now()).toBeGreaterThan(6.9 * 86400_000);

    const shown = cli("invite", "show", String(created["id"]), "--json");
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain(String(created["token"]));
    expect(cli("invite", "list", "--json").stdout).not.toContain(String(created["token"]));
  });

  it("invite create with --username, --expires and --uses; list shows uses/max and expiry", () => {
    const fixed = JSON.parse(cli("invite", "create", "--json", "--username", "Juliet", "--expires", "2d").stdout) as Record<string, unknown>;
    expect(fixed["uri"]).toMatch(/^xmpp:juliet@example\.test\?register;preauth=/);
    expect(Date.parse(String(fixed["expires"])) - Date.now()).toBeLessThan(2 * 86400_000 + 60_000);
    const multi = JSON.parse(cli("invite", "create", "--json", "--uses", "5").stdout) as Record<string, unknown>;
    expect(multi["max_uses"]).toBe(5);

    const table = cli("invite", "list").stdout;
    expect(table).toMatch(/^ID\s+KIND\s+INVITER\s+USERNAME\s+GROUPS\s+USES\s+EXPIRES\s+STATUS\s+NOTE/);
    expect(table).toMatch(new RegExp(`${String(multi["id"])}\\s+account`));
    expect(table).toMatch(/0\/5/);
    expect(table).toContain("juliet");
  });

  it("--contact, --allow-registration, --reset and --group create the other kinds", () => {
    const contact = JSON.parse(cli("invite", "create", "--json", "--contact", "Romeo@example.test").stdout) as Record<string, unknown>;
    expect(contact).toMatchObject({ type: "contact", kind: "contact", inviter: "romeo@example.test", allow_registration: false });
    expect(contact["uri"]).toBe(`xmpp:romeo@example.test?roster;preauth=${String(contact["token"])}`);
    const both = JSON.parse(cli("invite", "create", "--json", "--contact", "romeo@example.test", "--allow-registration").stdout) as Record<string, unknown>;
    expect(both["uri"]).toMatch(/;ibr=y$/);
    const reset = JSON.parse(cli("invite", "create", "--json", "--reset", "alice").stdout) as Record<string, unknown>;
    expect(reset).toMatchObject({ type: "reset", username: "alice" });
    expect(reset["uri"]).toMatch(/^xmpp:alice@example\.test\?register;preauth=/);
    expect(Date.parse(String(reset["expires"])) - Date.now()).toBeLessThan(86400_000 + 60_000);
    const group = JSON.parse(cli("invite", "create", "--json", "--group", "Team", "--group", "Family", "--uses", "10").stdout) as Record<string, unknown>;
    expect(group).toMatchObject({ kind: "group", groups: ["Team", "Family"], max_uses: 10 });
    const table = cli("invite", "list").stdout;
    expect(table).toMatch(/contact\+register\s+romeo@example\.test/);
    expect(table).toMatch(/group\s+-\s+-\s+Team,Family\s+0\/10/);
    expect(cli("invite", "create", "--contact", "romeo@elsewhere.example").stderr).toContain("must be a user of example.test");
    expect(cli("invite", "create", "--allow-registration").code).toBe(64);
    expect(cli("invite", "create", "--reset", "a", "--contact", "b@example.test").code).toBe(64);
  });

  it("human-readable create prints the URI and says the token is shown once", () => {
    const { code, stdout } = cli("invite", "create");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Invite [a-z2-9]{8} created: account, 1 use, expires \d{4}-/);
    expect(stdout).toMatch(/xmpp:example\.test\?register;preauth=[A-Za-z0-9]{24}/);
    expect(stdout).toContain("shown only now");
  });

  it("invite revoke removes it from the pending list and show says revoked", () => {
    const { id } = JSON.parse(cli("invite", "create", "--json").stdout) as { id: string };
    expect(cli("invite", "revoke", id)).toMatchObject({ code: 0, stdout: `Invite ${id} revoked.\n` });
    expect(cli("invite", "list").stdout).not.toContain(id);
    expect(cli("invite", "list", "--all").stdout).toMatch(new RegExp(`${id}.*revoked`));
    expect(JSON.parse(cli("invite", "show", id, "--json").stdout)).toMatchObject({ id, status: "revoked" });
  });

  it("request list, approve and deny: account requests decided from the shell", async () => {
    // Requests come from the web form; here they are put in the same database directly.
    const stores = openSqliteStores(join(dir, "state/invites.sqlite"));
    const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: systemClock, domain: "example.test", defaultExpiry: 604800 });
    const requests = new AccountRequestService({ store: stores.accountRequests, invites, clock: systemClock, expirySeconds: 86400, maxPending: 10 });
    const { request: heidi } = await requests.submit({ username: "heidi", message: "a friend of Romeo" });
    const { request: ivan } = await requests.submit({ username: "ivan" });
    await stores.close();

    const table = cli("request", "list");
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${heidi.id}\\s+pending\\s+\\S+\\s+heidi\\s+"a friend of Romeo"`));
    const approved = cli("request", "approve", heidi.id);
    expect(approved.stdout).toBe(`Request ${heidi.id} approved: heidi can now create the account from the requester's link.\n`);
    expect(JSON.parse(cli("request", "deny", ivan.id, "--json").stdout)).toMatchObject({ id: ivan.id, status: "denied", decided_by: "cli" });
    const twice = cli("request", "deny", heidi.id);
    expect([twice.code, twice.stderr]).toEqual([1, `xmpp-invites: Account request ${heidi.id} has already been decided or has expired\n`]);
    expect(cli("request", "list").stdout).toBe("No account requests waiting.\n");
    const invite = (JSON.parse(cli("invite", "list", "--json").stdout) as Array<Record<string, unknown>>).find((i) => i["source"] === `request:${heidi.id}`);
    expect(invite).toMatchObject({ type: "account", username: "heidi", max_uses: 1 });
  });

  it("request list warns of a name taken meanwhile and approve refuses it; list --all says registered once the account exists", async () => {
    const stores = openSqliteStores(join(dir, "state/invites.sqlite"));
    const invites = new InviteService({ store: stores.invites, claims: stores.claims, clock: systemClock, domain: "example.test", defaultExpiry: 604800 });
    const requests = new AccountRequestService({ store: stores.accountRequests, invites, clock: systemClock, expirySeconds: 86400, maxPending: 10 });
    const { request: judy, statusToken } = await requests.submit({ username: "judy" });
    const { request: kim } = await requests.submit({ username: "kim" });
    await stores.close();
    // An operator hands "kim" out by a fixed-username invite meanwhile.
    expect(cli("invite", "create", "--username", "kim").code).toBe(0);
    const table = cli("request", "list").stdout;
    expect(table).toMatch(new RegExp(`${kim.id}\\s+pending\\s+\\S+\\s+kim\\s+\\[name taken: approval refused\\]`));
    // The default adapter speaks over the component connection: the shell cannot ask the server.
    expect(table).toMatch(new RegExp(`${judy.id}\\s+pending\\s+\\S+\\s+judy\\s+\\[name not checked with the server\\]`));
    expect(JSON.parse(cli("request", "list", "--json").stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ id: kim.id, name_taken: true }), expect.objectContaining({ id: judy.id, name_taken: null })]));
    expect(cli("request", "approve", kim.id)).toMatchObject({ code: 1, stderr: "xmpp-invites: The requested username already exists.\n" });
    expect(cli("request", "approve", judy.id).code).toBe(0);

    // The requester uses the approval: the account is made with its invite.
    const again = openSqliteStores(join(dir, "state/invites.sqlite"));
    const service = new InviteService({ store: again.invites, claims: again.claims, clock: systemClock, domain: "example.test", defaultExpiry: 604800 });
    const view = await new AccountRequestService({ store: again.accountRequests, invites: service, clock: systemClock, expirySeconds: 86400, maxPending: 10 }).view(statusToken);
    if (view?.state !== "approved") throw new Error("the request was not approved");
    const claim = await service.claim(view.inviteToken, "judy");
    await service.consume(claim, { jid: "judy@example.test", door: "web", requester: null });
    await again.close();
    expect(cli("request", "list", "--all").stdout).toMatch(new RegExp(`${judy.id}\\s+registered\\s+\\S+\\s+judy\\n`));
    expect(JSON.parse(cli("request", "show", judy.id, "--json").stdout)).toMatchObject({ status: "registered" });
  });

  it("errors go to stderr with a non-zero exit code", () => {
    expect(cli("invite", "revoke", "nosuchid")).toMatchObject({ code: 1, stdout: "", stderr: "xmpp-invites: No invite with id nosuchid\n" });
    expect(cli("invite", "create", "--uses", "0")).toMatchObject({ code: 1, stdout: "" });
    expect(cli("invite", "create", "--username", "bad name").stderr).toContain("The requested username is invalid.");
    expect(cli("invite", "create", "--expires", "soon")).toMatchObject({ code: 64, stderr: expect.stringContaining("--expires") });
    expect(cli("invite", "frobnicate").code).toBe(64);
    expect(cli("invite", "create", "--bogus").code).toBe(64);
    expect(cli("nonsense").code).toBe(64);
  });

  it("an argument XML cannot carry (XML 1.0 §2.2) is refused with exit 1, naming the option and not echoing it; nothing is created", () => {
    const before = cli("invite", "list", "--json").stdout;
    const note = cli("invite", "create", "--note", "for\u0001Alicia");
    expect(note).toMatchObject({ code: 1, stdout: "", stderr: expect.stringMatching(/^xmpp-invites: argument 4 \(after --note\): contains characters that are not allowed/) });
    expect(note.stderr).not.toContain("Alicia");
    expect(cli("invite", "create", "--group=Fam\uFFFFily", "--contact", "alice@example.test").stderr).toMatch(/^xmpp-invites: --group: /);
    expect(cli("invite", "create", "--json", "\u0007").stderr).toMatch(/^xmpp-invites: argument 4 \(after --json\): /);
    expect(cli("invite", "list", "--json").stdout).toBe(before);
  });

  it("check-config validates, and a broken config lists every problem with exit 78", () => {
    const ok = cli("check-config");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("registration     invite-only");
    expect(ok.stdout).toContain("bridge           auto: apps redeem invite links directly only if example.test has the bridge module");
    // The default adapter learns from the server how to tell whether an account exists, and says what happens when it cannot.
    expect(ok.stdout).toMatch(/open claims +settled by asking the server .*user-stats .*get-registered-users-list.*cannot tell, claims .* stay reserved/);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ domain: "example.test", component: { service: "nope" }, surprise: true }));
    const result = cli("check-config", "--config", bad);
    expect(result.code).toBe(78);
    expect(result.stderr).toContain("component.service: must look like");
    expect(result.stderr).toContain("component.secret: is required");
    expect(result.stderr).toContain('unknown key "surprise"');
  });

  it("check-config never prints a secret of the config, valid or not", () => {
    const secrets = { component: "ComponentSecretInConfig1", admin: "AdminPasswordInConfig22", ejabberd: "EjabberdPasswordInConfig3" };
    const valid = join(dir, "secrets.json");
    writeFileSync(valid, JSON.stringify({
      domain: "example.test",
      component: { service: "xmpp://127.0.0.1:5347", domain: "invites.example.test", secret: secrets.component },
      database: "./state/invites.sqlite",
      adapter: { type: "xep0133-account", jid: "admin@example.test", password: secrets.admin, service: "xmpp://127.0.0.1:5222",
        roster: { type: "ejabberd-api", url: "http://127.0.0.1:5280/api", username: "admin@example.test", password: secrets.ejabberd } },
    }));
    const ok = cli("check-config", "--config", valid);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("adapter          xep0133-account");
    // Broken next to the secrets: errors about the fields around them must not quote them.
    const broken = join(dir, "secrets-broken.json");
    writeFileSync(broken, JSON.stringify({
      domain: "example.test",
      component: { service: "nope", domain: "invites.example.test", secret: secrets.component },
      adapter: { type: "xep0133-account", jid: "not a jid", password: secrets.admin, service: "xmpp://127.0.0.1:5222",
        roster: { type: "ejabberd-api", url: "http://127.0.0.1:5280/api", username: "admin@example.test", password: secrets.ejabberd, extra: secrets.ejabberd } },
    }));
    const failed = cli("check-config", "--config", broken);
    expect(failed.code).toBe(78);
    expect(failed.stderr).toContain("component.service: must look like");
    for (const output of [ok.stdout + ok.stderr, failed.stdout + failed.stderr]) {
      for (const secret of Object.values(secrets)) expect(output).not.toContain(secret);
    }
  });

  it("api-key create, list and revoke: the key is shown once, works, and stops working when revoked", async () => {
    const created = cli("api-key", "create", "portal", "--json");
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; name: string; read_only: boolean; key: string; revoked: string | null };
    expect(key).toMatchObject({ name: "portal", read_only: false, revoked: null });
    expect(key.key).toMatch(new RegExp(`^xi_${key.id}_[A-Za-z0-9]{24}$`));
    const human = cli("api-key", "create", "dashboard", "--read-only");
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^API key [a-z2-9]{8} "dashboard" created \(read-only\):\nxi_[a-z2-9]{8}_[A-Za-z0-9]{24}\nIt is shown only now/);

    const verify = async (presented: string) => {
      const stores = openSqliteStores(join(dir, "state", "invites.sqlite"));
      try {
        return await new ApiKeyService(stores.apiKeys, systemClock).verify(presented);
      } finally {
        await stores.close();
      }
    };
    expect(await verify(key.key)).toMatchObject({ id: key.id, name: "portal" });

    const list = cli("api-key", "list");
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${key.id}  read-write  \\d{4}-.*  portal$`, "m"));
    expect(list.stdout).toMatch(/^[a-z2-9]{8}  read-only  .*  dashboard$/m);
    expect(list.stdout + cli("api-key", "list", "--json").stdout).not.toContain(key.key.slice(-24));

    expect(cli("api-key", "revoke", key.id)).toMatchObject({ code: 0, stdout: `API key ${key.id} revoked.\n` });
    expect(await verify(key.key)).toBeUndefined();
    expect(JSON.parse(cli("api-key", "list", "--json").stdout)).toContainEqual(expect.objectContaining({ id: key.id, revoked: expect.stringMatching(/^\d{4}-/) }));
    expect(cli("api-key", "revoke", "nosuchid")).toMatchObject({ code: 1 });
    expect(cli("api-key", "create").code).toBe(64);
    expect(cli("api-key", "frobnicate").code).toBe(64);
  });

  it("invite purge deletes nothing that has not expired", () => {
    expect(cli("invite", "purge", "--json")).toMatchObject({ code: 0, stdout: '{"purged":0}\n' });
  });

  it("--help lists the commands", () => {
    const { code, stdout } = cli("--help");
    expect(code).toBe(0);
    for (const command of ["start", "check-config", "invite create", "invite list", "invite show", "invite revoke", "redeem"]) expect(stdout).toContain(command);
  });
});

describe("xmpp-invites help, --version and check-config warnings", () => {
  const COMMANDS = ["start", "check-config", "invite", "api-key", "redeem"];

  it("--version and -V print the package's version", () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    expect(cli("--version")).toMatchObject({ code: 0, stdout: `xmpp-invites ${version}\n` });
    expect(cli("-V").stdout).toBe(`xmpp-invites ${version}\n`);
  });

  it("help COMMAND and COMMAND --help print the same page for every command, starting with its usage", () => {
    for (const command of COMMANDS) {
      const viaHelp = cli("help", command);
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stdout).toMatch(new RegExp(`^Usage: xmpp-invites ${command}`));
      expect(cli(command, "--help")).toMatchObject({ code: 0, stdout: viaHelp.stdout });
      expect(cli(command, "-h").stdout).toBe(viaHelp.stdout);
    }
    // A subcommand's --help is its command's page, before any argument parsing can complain.
    expect(cli("invite", "create", "--help").stdout).toBe(cli("help", "invite").stdout);
    expect(cli("help", "invite", "create").stdout).toBe(cli("help", "invite").stdout);
    expect(cli("help", "nonsense")).toMatchObject({ code: 64 });
  });

  it("the redeem synopsis names --component, and redeem without it or a config says so (exit 64)", () => {
    expect(cli("help", "redeem").stdout).toMatch(/--anonymous-domain DOMAIN --component JID/);
    const withoutConfig = { ...process.env };
    delete withoutConfig["XMPP_INVITES_CONFIG"];
    const result = spawnSync(process.execPath, [BIN, "redeem", "xmpp:example.test?register;preauth=abcdefghijklmnopqrstuvwx", "--username", "a",
      "--password", "a-long-password", "--server", "xmpp://127.0.0.1:1", "--anonymous-domain", "anon.example.test"], {
      encoding: "utf8", cwd: dir, env: withoutConfig,
    });
    expect(result.status).toBe(64);
    expect(result.stderr).toContain("--component JID is needed");
    expect(result.stderr).toContain('Run "xmpp-invites help redeem"');
  });

  it("a usage error points at the command's own help", () => {
    expect(cli("invite", "create", "--bogus").stderr).toContain('Run "xmpp-invites help invite" for usage.');
  });

  it("check-config warns about the example's placeholder secret, a world-readable file, http public_url and an unusable adapter", () => {
    const example = JSON.parse(readFileSync("config.example.json", "utf8")) as Record<string, unknown>;
    const unsafe = join(dir, "unsafe.json");
    writeFileSync(unsafe, JSON.stringify({
      ...example,
      database: "./unsafe/invites.sqlite",
      http: { public_url: "http://invite.example.org" },
      adapter: { type: "prosodyctl", config: join(dir, "no-such-prosody.cfg.lua"), command: "no-such-prosodyctl" },
    }));
    chmodSync(unsafe, 0o644);
    const result = cli("check-config", "--config", unsafe);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/: valid, with 5 warnings\n/);
    expect(result.stdout).toContain("warning: component.secret is the example's placeholder");
    expect(result.stdout).toContain("every user on this machine can read it (mode 0644)");
    expect(result.stdout).toContain("warning: http.public_url http://invite.example.org is not https");
    expect(result.stdout).toContain('"no-such-prosodyctl" is not an executable command');
    expect(result.stdout).toContain("no-such-prosody.cfg.lua cannot be read");
    expect(result.stdout).not.toContain(String((example["component"] as { secret: string }).secret));

    // The same file made private, with a real secret and https: no warning.
    writeFileSync(unsafe, JSON.stringify({ ...example, component: { ...(example["component"] as object), secret: "f3a9c1d2e4b5a6978899aabbccddeeff" },
      database: "./unsafe/invites.sqlite", http: { public_url: "https://invite.example.org" } }));
    chmodSync(unsafe, 0o600);
    const clean = cli("check-config", "--config", unsafe);
    expect(clean.stdout).toMatch(/: valid\n/);
    expect(clean.stdout).not.toContain("warning");
    expect(clean.stdout).not.toContain("f3a9c1d2e4b5a6978899aabbccddeeff");
  });
});
