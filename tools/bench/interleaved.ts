// Registration paths measured interleaved, registration by registration in rotating order, with one
// hand-written client for every XMPP path, against a throwaway server on its stock config:
//   native  the server's own registration on an unauthenticated stream (Prosody: invite preauth +
//           register; ejabberd, which has no invites: open in-band registration)
//   xmpp    the component's XMPP door (anonymous login, preauth, register at the component)
//   web     the component's web door (GET the form, POST it)
// Then "right after" rows: an XMPP-door registration timed immediately after something that leaves
// the component's link to the server in a given state (a web registration, an ad-hoc command,
// a roster write, idle time). A delayed ACK that holds up the server's next stanza shows there.
//
//   npm run bench:interleaved -- [--server prosody|ejabberd] [--adapter xep0133|ejabberd-api]
//        [--rounds 40] [--concurrency 1] [--after-rounds 20] [--idle-ms 1000] [--json out.json]
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { openRawStream, preauthPayload, registerPayload } from "../../src/client/raw-stream.js";
import { startEjabberd } from "../demo/ejabberd.js";
import { freePort } from "../demo/ports.js";
import { ensureProsodyInstalled, startProsody } from "../demo/prosody.js";
import { type ComponentProcess, nativeTokens, startComponentProcess } from "./live.js";
import { ms, percentile } from "./stats.js";

const PASSWORD = "bench-password-0123";
const say = (line: string) => process.stderr.write(`${line}\n`);

interface Target {
  readonly name: string;
  readonly domain: string;
  readonly anonDomain: string;
  readonly componentDomain: string;
  readonly c2sPort: number;
  /** Tokens for the server's own registration; undefined where it needs none. */
  nativeTokens(count: number): Promise<string[] | undefined>;
  registerUser(username: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

type Path = "native" | "xmpp" | "web";

async function registerNative(target: Target, token: string | undefined, username: string): Promise<void> {
  const stream = await openRawStream(target.c2sPort, target.domain);
  try {
    if (token !== undefined) {
      const pre = await stream.iq("p", preauthPayload(token));
      if (pre.type !== "result") throw new Error(`native preauth failed: ${pre.xml}`);
    }
    const reg = await stream.iq("r", registerPayload(username, PASSWORD));
    if (reg.type !== "result") throw new Error(`native registration failed: ${reg.xml}`);
  } finally {
    stream.close();
  }
}

/** Where the XMPP door's time goes: the anonymous login, the preauth IQ, the register IQ. */
const phases = { login: [] as number[], preauth: [] as number[], register: [] as number[] };

async function registerXmpp(target: Target, token: string, username: string): Promise<void> {
  const t0 = ms();
  const stream = await openRawStream(target.c2sPort, target.anonDomain, { anonymous: true });
  try {
    const t1 = ms();
    const pre = await stream.iq("p", preauthPayload(token), "set", target.componentDomain);
    if (pre.type !== "result") throw new Error(`preauth at the component failed: ${pre.xml}`);
    const t2 = ms();
    const reg = await stream.iq("r", registerPayload(username, PASSWORD), "set", target.componentDomain);
    if (reg.type !== "result") throw new Error(`registration at the component failed: ${reg.xml}`);
    phases.login.push(t1 - t0);
    phases.preauth.push(t2 - t1);
    phases.register.push(ms() - t2);
  } finally {
    stream.close();
  }
}

async function registerWeb(httpBase: string, token: string, username: string): Promise<void> {
  const page = await (await fetch(`${httpBase}/invite/${token}/register`)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
  const response = await fetch(`${httpBase}/invite/${token}/register`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, username, password: PASSWORD, confirm: PASSWORD }).toString(),
  });
  await response.text();
  if (response.status !== 200) throw new Error(`web registration answered ${response.status}`);
}

interface Row {
  readonly label: string;
  readonly samples: number[];
  /** Registrations per second over the row's batches (for concurrency > 1). */
  readonly rates: number[];
}

function summary(row: Row): { label: string; n: number; median: number; p90: number; p99: number; rate: number } {
  const rate = row.rates.length > 0 ? row.rates.reduce((a, b) => a + b, 0) / row.rates.length : 1000 / percentile(row.samples, 50);
  return { label: row.label, n: row.samples.length, median: percentile(row.samples, 50), p90: percentile(row.samples, 90), p99: percentile(row.samples, 99), rate };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: "string", default: "prosody" },
      adapter: { type: "string", default: "xep0133" },
      rounds: { type: "string", default: "40" },
      concurrency: { type: "string", default: "1" },
      "after-rounds": { type: "string", default: "20" },
      "idle-ms": { type: "string", default: "1000" },
      json: { type: "string" },
    },
    strict: true,
  });
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const afterRounds = Number(values["after-rounds"]);
  const idleMs = Number(values["idle-ms"]);
  const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
  const cli = join(root, "dist", "cli", "main.js");

  let target: Target;
  let component: ComponentProcess;
  const admin = { username: "admin", password: "admin-password-0123" };
  const inviter = { username: "inviter", password: "inviter-password-0123" };
  if (values.server === "prosody") {
    await ensureProsodyInstalled(say);
    const server = await startProsody({ nativeInvites: true });
    target = {
      name: `Prosody ${server.version}`, domain: server.domain, anonDomain: server.anonDomain, componentDomain: server.componentDomain, c2sPort: server.c2sPort,
      nativeTokens: (count) => nativeTokens(server, count),
      registerUser: (username, password) => server.registerUser(username, password),
      stop: () => server.stop(),
    };
    component = await startComponentProcess(server, await freePort(), cli, { admins: [`${admin.username}@${server.domain}`] });
  } else if (values.server === "ejabberd") {
    const server = await startEjabberd({ openRegistration: true });
    target = {
      name: `ejabberd ${server.version}`, domain: server.domain, anonDomain: server.anonDomain, componentDomain: server.componentDomain, c2sPort: server.c2sPort,
      nativeTokens: async () => undefined,
      registerUser: (username, password) => server.registerUser(username, password),
      stop: () => server.stop(),
    };
    const adapter = values.adapter === "ejabberd-api" ? { adapter: { type: "ejabberd-api", url: server.apiUrl() } } : {};
    component = await startComponentProcess(server, await freePort(), cli, { admins: [`${admin.username}@${server.domain}`], ...adapter });
  } else {
    throw new Error(`--server must be prosody or ejabberd, not ${values.server}`);
  }

  const rows = new Map<string, Row>();
  const row = (label: string) => {
    let found = rows.get(label);
    if (!found) rows.set(label, found = { label, samples: [], rates: [] });
    return found;
  };
  let serial = 0;
  const name = (prefix: string) => `${prefix}${Date.now().toString(36)}x${serial++}`;

  try {
    await target.registerUser(admin.username, admin.password);
    await target.registerUser(inviter.username, inviter.password);
    const run = async (path: Path, token: string | undefined): Promise<void> => {
      switch (path) {
        case "native": return registerNative(target, token, name("n"));
        case "xmpp": return registerXmpp(target, token ?? "", name("x"));
        case "web": return registerWeb(component.httpBase, token ?? "", name("w"));
      }
    };
    const tokensFor = async (path: Path, count: number): Promise<(string | undefined)[]> => {
      if (path === "native") return (await target.nativeTokens(count)) ?? Array.from({ length: count }, () => undefined);
      return (await component.invites.createMany(count)).map((made) => made.token);
    };

    // Warm-up: every path once, untimed.
    for (const path of ["native", "xmpp", "web"] as const) await run(path, (await tokensFor(path, 1))[0]);

    const paths: Path[] = ["native", "xmpp", "web"];
    const supply = new Map<Path, (string | undefined)[]>();
    for (const path of paths) supply.set(path, await tokensFor(path, rounds * concurrency));
    for (let round = 0; round < rounds; round++) {
      const order = paths.map((_, i) => paths[(i + round) % paths.length] as Path);
      for (const path of order) {
        const tokens = supply.get(path)?.splice(0, concurrency) ?? [];
        const t0 = ms();
        await Promise.all(tokens.map(async (token) => {
          const started = ms();
          await run(path, token);
          row(path).samples.push(ms() - started);
        }));
        if (concurrency > 1) row(path).rates.push(concurrency / ((ms() - t0) / 1000));
      }
    }

    // "Right after X": X untimed, then one XMPP-door registration timed at once.
    const adminStream = await openRawStream(target.c2sPort, target.domain, { plain: admin });
    const inviterJid = `${inviter.username}@${target.domain}`;
    const before: Record<string, () => Promise<void>> = {
      "xmpp door registration": async () => run("xmpp", (await component.invites.create()).token),
      "web door registration (adapter call)": async () => run("web", (await component.invites.create()).token),
      "native registration": async () => run("native", (await tokensFor("native", 1))[0]),
      "ad-hoc command at the component": async () => {
        const reply = await adminStream.iq(`c${serial++}`, "<command xmlns='http://jabber.org/protocol/commands' node='urn:xmpp:invite#create-account' action='execute'/>", "set", target.componentDomain);
        if (reply.type !== "result") throw new Error(`ad-hoc command failed: ${reply.xml}`);
      },
      "xmpp door registration with a roster write": async () => {
        await run("xmpp", (await component.invites.create({ inviter: inviterJid })).token);
        // The roster steps run after the reply: give them time to finish, well under a delayed ACK.
        await new Promise((done) => setTimeout(done, 5));
      },
      [`idle ${idleMs} ms`]: () => new Promise((done) => setTimeout(done, idleMs)),
    };
    for (let round = 0; round < afterRounds; round++) {
      for (const [label, action] of Object.entries(before)) {
        await action();
        const token = (await component.invites.create()).token;
        const t0 = ms();
        await run("xmpp", token);
        row(`xmpp after ${label}`).samples.push(ms() - t0);
      }
      // The control for the idle row: what idle time costs the server's own path.
      const token = (await tokensFor("native", 1))[0];
      await before[`idle ${idleMs} ms`]?.();
      const t0 = ms();
      await run("native", token);
      row(`native after idle ${idleMs} ms`).samples.push(ms() - t0);
    }
    adminStream.close();
  } finally {
    await component.stop();
    await target.stop();
  }

  const results = [...rows.values()].map(summary);
  const native = results.find((r) => r.label === "native");
  const adapter = values.server === "ejabberd" ? ` (adapter ${values.adapter})` : "";
  const lines = [
    `${target.name}${adapter}, ${rounds} interleaved rounds × ${concurrency} at once, ${afterRounds} rounds of "after" rows`,
    "",
    `| path | n | median ms | p90 ms | p99 ms | ${concurrency > 1 ? "reg/s" : "rate"} vs native |`,
    "|---|---|---|---|---|---|",
    ...results.map((r) => `| ${r.label} | ${r.n} | ${r.median.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.p99.toFixed(1)} | ${native ? (r.rate / native.rate).toFixed(2) : "–"} |`),
  ];
  lines.push("", `XMPP door, all rows: median ms of login ${percentile(phases.login, 50).toFixed(1)}, preauth ${percentile(phases.preauth, 50).toFixed(1)}, register ${percentile(phases.register, 50).toFixed(1)}; p90 of preauth ${percentile(phases.preauth, 90).toFixed(1)}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  if (values.json) writeFileSync(values.json, `${JSON.stringify({ date: new Date().toISOString(), server: target.name, adapter: values.adapter, rounds, concurrency, results }, null, 2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`interleaved bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
