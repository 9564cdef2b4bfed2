// B1: registration measured interleaved. Every path runs registration by registration in one loop,
// in an order that rotates each round, so drift of the machine or of the server's storage hits all
// paths alike. One hand-written client (src/client/raw-stream.ts) serves every XMPP path:
//   native  the server's own registration on an unauthenticated stream (Prosody: its own invite
//           preauth + register; ejabberd, which has no invites: its open in-band registration)
//   app     the same two IQs on an unauthenticated stream to the server's main domain, redeemed
//           through the bridge module (mod_xmpp_invites) — what an app does with the link
//   xmpp    the component's XMPP door: anonymous login, preauth and register at the component
//   web     the component's web door: GET the form, POST it
// Then the same at 16 at once (each round: every path in rotating order, as a batch of 16 at once),
// and "right after" rows: an XMPP-door registration timed immediately after something that leaves
// the component's link to the server in a given state; a delayed ACK holding up the next stanza
// would show there. Where the app path runs, the parts of its floor are probed apart (FloorProbe).
import { openRawStream, preauthPayload, registerPayload } from "../../src/client/raw-stream.js";
import type { ComponentProcess, TimingLine } from "./live.js";
import { ms, percentile } from "./stats.js";

export type PathName = "native" | "app" | "xmpp" | "web";

export interface B1Target {
  readonly domain: string;
  /** Where the server's own registration happens (Prosody: a virtual host with its own invites). */
  readonly nativeDomain: string;
  readonly anonDomain: string;
  readonly componentDomain: string;
  readonly c2sPort: number;
  readonly paths: readonly PathName[];
  /** Tokens for the server's own registration; undefined entries where it needs none. */
  nativeTokens(count: number): Promise<(string | undefined)[]>;
  readonly admin: { readonly username: string; readonly password: string };
  readonly inviter: string;
  /** Whether the component can write rosters here (contact invites); else that row is left out. */
  readonly rosterWrites: boolean;
}

export interface B1Plan {
  readonly rounds: number;
  readonly concurrentRounds: number;
  readonly concurrency: number;
  readonly afterRounds: number;
  readonly idleMs: number;
}

export interface LatencyStats {
  readonly n: number;
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
}

export interface PathResult extends LatencyStats {
  /** Median of each client-side step (stream open or login, each IQ, each HTTP request), in ms; in the
   *  "right after" rows also `component`, the component's own handling of the two IQs. */
  readonly steps: Record<string, number>;
}

export interface ConcurrentResult extends LatencyStats {
  /** Registrations of this path over the wall time of its batches. */
  readonly perSecond: number;
}

/**
 * What the app path pays before the component does any work, measured apart (medians, ms): the
 * preauth step is one more IQ on the client's stream, and the check and the claim are each a
 * round trip from the server to the component and back.
 */
export interface FloorProbe {
  /** An IQ the server answers itself on an unauthenticated stream (a registration form request on the native host). */
  readonly serverIqMs: number;
  /** A logged-in client's ping to the server. */
  readonly pingServerMs: number;
  /** The same client's ping to the component, through the server: minus the ping to the server, one round trip to the component. */
  readonly pingComponentMs: number;
}

export interface B1Run {
  readonly one: Partial<Record<PathName, PathResult>>;
  readonly concurrent: Partial<Record<PathName, ConcurrentResult>>;
  /** Label → latency of the registration timed right after it (first run only). */
  readonly after: Record<string, PathResult>;
  /** The component's own timing lines during the one-at-a-time rounds: name → part → median ms. */
  readonly component: Record<string, Record<string, number>>;
  /** Where the app path is measured. */
  readonly floor?: FloorProbe;
}

const PASSWORD = "bench-password-0123";
let serial = 0;
const uniqueName = (prefix: string) => `${prefix}${Date.now().toString(36)}x${serial++}`;

type Steps = Record<string, number>;

/** Lets the component's last timing lines arrive through its stdout before they are taken. */
const settle = () => new Promise((done) => setTimeout(done, 200));

/** The server's own registration, or the app path through the bridge: the same two IQs. */
async function registerOnStream(target: B1Target, domain: string, token: string | undefined, username: string): Promise<Steps> {
  const t0 = ms();
  const stream = await openRawStream(target.c2sPort, domain);
  try {
    const t1 = ms();
    if (token !== undefined) {
      const pre = await stream.iq("p", preauthPayload(token));
      if (pre.type !== "result") throw new Error(`preauth on ${domain} failed: ${pre.xml}`);
    }
    const t2 = ms();
    const reg = await stream.iq("r", registerPayload(username, PASSWORD));
    if (reg.type !== "result") throw new Error(`registration on ${domain} failed: ${reg.xml}`);
    const t3 = ms();
    return { open: t1 - t0, ...(token === undefined ? {} : { preauth: t2 - t1 }), register: t3 - t2 };
  } finally {
    stream.close();
  }
}

async function registerXmpp(target: B1Target, token: string, username: string): Promise<Steps> {
  const t0 = ms();
  const stream = await openRawStream(target.c2sPort, target.anonDomain, { anonymous: true });
  try {
    const t1 = ms();
    const pre = await stream.iq("p", preauthPayload(token), "set", target.componentDomain);
    if (pre.type !== "result") throw new Error(`preauth at the component failed: ${pre.xml}`);
    const t2 = ms();
    const reg = await stream.iq("r", registerPayload(username, PASSWORD), "set", target.componentDomain);
    if (reg.type !== "result") throw new Error(`registration at the component failed: ${reg.xml}`);
    return { login: t1 - t0, preauth: t2 - t1, register: ms() - t2 };
  } finally {
    stream.close();
  }
}

async function registerWeb(httpBase: string, token: string, username: string): Promise<Steps> {
  const t0 = ms();
  const page = await (await fetch(`${httpBase}/invite/${token}/register`)).text();
  const t1 = ms();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? "";
  const response = await fetch(`${httpBase}/invite/${token}/register`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, username, password: PASSWORD, confirm: PASSWORD }).toString(),
  });
  await response.text();
  if (response.status !== 200) throw new Error(`web registration answered ${response.status}`);
  return { get: t1 - t0, post: ms() - t1 };
}

export function registerer(target: B1Target, component: ComponentProcess) {
  const register = (path: PathName, token: string | undefined): Promise<Steps> => {
    switch (path) {
      case "native": return registerOnStream(target, target.nativeDomain, token, uniqueName("n"));
      case "app": return registerOnStream(target, target.domain, token, uniqueName("a"));
      case "xmpp": return registerXmpp(target, token ?? "", uniqueName("x"));
      case "web": return registerWeb(component.httpBase, token ?? "", uniqueName("w"));
    }
  };
  const tokens = async (path: PathName, count: number, inviter?: string): Promise<(string | undefined)[]> =>
    path === "native" ? target.nativeTokens(count) : (await component.invites.createMany(count, inviter ? { inviter } : {})).map((made) => made.token);
  return { register, tokens };
}

const stats = (samples: readonly number[]): LatencyStats =>
  ({ n: samples.length, medianMs: percentile(samples, 50), p90Ms: percentile(samples, 90), p99Ms: percentile(samples, 99) });

/** Medians per timing name and part. */
function componentMedians(lines: readonly TimingLine[]): Record<string, Record<string, number>> {
  const grouped = new Map<string, Map<string, number[]>>();
  for (const line of lines) {
    if (line["error"] !== undefined) continue;
    let parts = grouped.get(line.timing);
    if (!parts) grouped.set(line.timing, parts = new Map());
    for (const [part, value] of Object.entries(line)) {
      if (!part.endsWith("Ms") || typeof value !== "number") continue;
      let list = parts.get(part);
      if (!list) parts.set(part, list = []);
      list.push(value);
    }
  }
  const out: Record<string, Record<string, number>> = {};
  for (const [name, parts] of grouped) {
    out[name] = Object.fromEntries([...parts].map(([part, values]) => [part, percentile(values, 50)]));
    out[name]["count"] = Math.max(...[...parts.values()].map((values) => values.length));
  }
  return out;
}

export async function runB1(target: B1Target, component: ComponentProcess, plan: B1Plan, withAfterRows: boolean, say: (line: string) => void): Promise<B1Run> {
  const { register, tokens } = registerer(target, component);
  const paths = target.paths;
  const rotate = (round: number) => paths.map((_, i) => paths[(i + round) % paths.length] as PathName);

  // Warm-up: every path twice, untimed.
  for (let i = 0; i < 2; i++) for (const path of paths) await register(path, (await tokens(path, 1))[0]);

  // One at a time.
  const supply = new Map<PathName, (string | undefined)[]>();
  for (const path of paths) supply.set(path, await tokens(path, plan.rounds));
  await settle();
  const samples = new Map<PathName, { total: number[]; steps: Map<string, number[]> }>(paths.map((path) => [path, { total: [], steps: new Map() }]));
  component.takeTimings();
  for (let round = 0; round < plan.rounds; round++) {
    for (const path of rotate(round)) {
      const token = supply.get(path)?.shift();
      const t0 = ms();
      const steps = await register(path, token);
      const total = ms() - t0;
      const into = samples.get(path);
      into?.total.push(total);
      for (const [step, value] of Object.entries(steps)) {
        const list = into?.steps.get(step) ?? [];
        list.push(value);
        into?.steps.set(step, list);
      }
    }
  }
  await settle();
  const component1 = componentMedians(component.takeTimings());
  const one: Partial<Record<PathName, PathResult>> = {};
  for (const [path, { total, steps }] of samples) {
    one[path] = { ...stats(total), steps: Object.fromEntries([...steps].map(([step, values]) => [step, percentile(values, 50)])) };
  }
  const floor = paths.includes("app") ? await probeFloor(target, plan.rounds * 2) : undefined;
  component.takeTimings();

  // Many at once: each round, every path in rotating order as one batch of `concurrency`.
  const batchSupply = new Map<PathName, (string | undefined)[]>();
  for (const path of paths) batchSupply.set(path, await tokens(path, plan.concurrentRounds * plan.concurrency));
  const batches = new Map<PathName, { latencies: number[]; wallMs: number }>(paths.map((path) => [path, { latencies: [], wallMs: 0 }]));
  for (let round = 0; round < plan.concurrentRounds; round++) {
    for (const path of rotate(round)) {
      const batch = batchSupply.get(path)?.splice(0, plan.concurrency) ?? [];
      const into = batches.get(path);
      const t0 = ms();
      await Promise.all(batch.map(async (token) => {
        const started = ms();
        await register(path, token);
        into?.latencies.push(ms() - started);
      }));
      if (into) into.wallMs += ms() - t0;
    }
  }
  const concurrent: Partial<Record<PathName, ConcurrentResult>> = {};
  for (const [path, { latencies, wallMs }] of batches) concurrent[path] = { ...stats(latencies), perSecond: latencies.length / (wallMs / 1000) };
  component.takeTimings();

  const after = withAfterRows ? await afterRows(target, component, plan, say) : {};
  component.takeTimings();
  return { one, concurrent, after, component: component1, ...(floor ? { floor } : {}) };
}

/** The floor's parts, `rounds` times each, interleaved: a server IQ, a ping to the server, a ping to the component. */
async function probeFloor(target: B1Target, rounds: number): Promise<FloorProbe> {
  const unauthenticated = await openRawStream(target.c2sPort, target.nativeDomain);
  const client = await openRawStream(target.c2sPort, target.anonDomain, { anonymous: true });
  const timed = async (into: number[], ask: () => Promise<{ type: string; xml: string }>) => {
    const t0 = ms();
    const reply = await ask();
    if (reply.type !== "result") throw new Error(`floor probe failed: ${reply.xml}`);
    into.push(ms() - t0);
  };
  const serverIq: number[] = [];
  const pingServer: number[] = [];
  const pingComponent: number[] = [];
  try {
    for (let i = 0; i < rounds + 10; i++) {
      const [a, b, c] = i < 10 ? [[], [], []] : [serverIq, pingServer, pingComponent]; // the first 10: warm-up
      await timed(a, () => unauthenticated.iq(`f${i}`, "<query xmlns='jabber:iq:register'/>", "get"));
      await timed(b, () => client.iq(`s${i}`, "<ping xmlns='urn:xmpp:ping'/>", "get", target.domain));
      await timed(c, () => client.iq(`c${i}`, "<ping xmlns='urn:xmpp:ping'/>", "get", target.componentDomain));
    }
  } finally {
    unauthenticated.close();
    client.close();
  }
  return { serverIqMs: percentile(serverIq, 50), pingServerMs: percentile(pingServer, 50), pingComponentMs: percentile(pingComponent, 50) };
}

/** "Right after X": X untimed, then one registration timed at once. */
async function afterRows(target: B1Target, component: ComponentProcess, plan: B1Plan, say: (line: string) => void): Promise<Record<string, PathResult>> {
  const made = registerer(target, component);
  const { register } = made;
  // The server's own tokens are made ahead (its admin shell takes a while), the component's as needed.
  const nativePool = await made.tokens("native", plan.afterRounds * 2);
  const tokens = async (path: PathName, count: number, inviter?: string) =>
    path === "native" ? nativePool.splice(0, count) : made.tokens(path, count, inviter);
  const rows = new Map<string, { total: number[]; steps: Map<string, number[]> }>();
  const push = (into: Map<string, number[]>, key: string, value: number | undefined) => {
    if (value === undefined || !Number.isFinite(value)) return;
    const list = into.get(key) ?? [];
    list.push(value);
    into.set(key, list);
  };
  const timed = async (label: string, path: PathName, token: string | undefined) => {
    const t0 = ms();
    const steps = await register(path, token);
    const total = ms() - t0;
    const row = rows.get(label) ?? { total: [], steps: new Map<string, number[]>() };
    rows.set(label, row);
    row.total.push(total);
    for (const [step, value] of Object.entries(steps)) push(row.steps, step, value);
    // The component's own share of the timed registration: its last request lines (stdout is in order).
    await new Promise((done) => setTimeout(done, 50));
    const lines = component.takeTimings();
    const last = (name: string) => lines.filter((line) => line.timing === name).at(-1)?.["handledMs"];
    const handled = path === "xmpp" ? [last("iq:preauth"), last("iq:query")] : path === "app" ? [last("iq:check"), last("iq:claim")] : [];
    if (handled.length > 0 && handled.every((v) => typeof v === "number")) push(row.steps, "component", (handled as number[]).reduce((a, b) => a + b, 0));
    const adapter = lines.filter((line) => line.timing === "register:xmpp").at(-1)?.["adapterMs"];
    if (path === "xmpp" && typeof adapter === "number") push(row.steps, "adapter", adapter);
  };
  const adminStream = await openRawStream(target.c2sPort, target.domain, { plain: target.admin });
  const idle = () => new Promise((done) => setTimeout(done, plan.idleMs));
  const hasApp = target.paths.includes("app");
  const before: Record<string, () => Promise<unknown>> = {
    "an XMPP-door registration": async () => register("xmpp", (await tokens("xmpp", 1))[0]),
    "a web-door registration (adapter call)": async () => register("web", (await tokens("web", 1))[0]),
    "a native registration": async () => register("native", (await tokens("native", 1))[0]),
    ...(hasApp ? { "an app-path registration (bridge)": async () => register("app", (await tokens("app", 1))[0]) } : {}),
    "an ad-hoc command at the component": async () => {
      const reply = await adminStream.iq(`c${serial++}`, "<command xmlns='http://jabber.org/protocol/commands' node='urn:xmpp:invite#create-account' action='execute'/>", "set", target.componentDomain);
      if (reply.type !== "result") throw new Error(`ad-hoc command failed: ${reply.xml}`);
    },
    ...(target.rosterWrites ? { "an XMPP-door registration with a roster write": async () => {
      await register("xmpp", (await tokens("xmpp", 1, target.inviter))[0]);
      // The roster steps run after the reply: give them time to finish, well under a delayed ACK.
      await new Promise((done) => setTimeout(done, 5));
    } } : {}),
    [`${plan.idleMs} ms idle`]: idle,
  };
  try {
    for (let round = 0; round < plan.afterRounds; round++) {
      for (const [label, action] of Object.entries(before)) {
        await action();
        await timed(`xmpp door after ${label}`, "xmpp", (await tokens("xmpp", 1))[0]);
      }
      if (hasApp) {
        await before["a web-door registration (adapter call)"]?.();
        await timed("app path after a web-door registration (adapter call)", "app", (await tokens("app", 1))[0]);
        await idle();
        await timed(`app path after ${plan.idleMs} ms idle`, "app", (await tokens("app", 1))[0]);
      }
      // The control for the idle rows: what idle time costs the server's own path.
      const token = (await tokens("native", 1))[0];
      await idle();
      await timed(`native after ${plan.idleMs} ms idle`, "native", token);
    }
  } finally {
    adminStream.close();
  }
  say(`  after rows: ${[...rows].map(([label, { total }]) => `${label} ${percentile(total, 50).toFixed(1)}`).join("; ")}`);
  return Object.fromEntries([...rows].map(([label, { total, steps }]) =>
    [label, { ...stats(total), steps: Object.fromEntries([...steps].map(([step, values]) => [step, percentile(values, 50)])) }]));
}
