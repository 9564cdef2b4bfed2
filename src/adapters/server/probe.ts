// Asks the server who it is (XEP-0092 from the component; ejabberd's `status` through the HTTP
// API where one is configured) and, for the xep0133 adapter, whether it lets the component run
// XEP-0133 commands; the table in servers.ts then says what works there. Run at every connection
// by the app and by `check-config --probe`.
import type { AdapterConfig } from "../../config/schema.js";
import type { IqRequester } from "../../protocol/iq.js";
import { askSoftwareVersion } from "./xep0092-version.js";
import { type ServerIdentity, type ServerReport, compareVersions, describeServer, knownServer, releaseOf } from "./servers.js";
import { probeAdminRight } from "./xep0133.js";

export interface ProbeDeps {
  /** The component connection, online. */
  readonly xmpp: IqRequester;
  readonly domain: string;
  readonly componentDomain: string;
  readonly timeoutMs: number;
  readonly adapter: AdapterConfig;
  /** ejabberd's version from its HTTP API (`status`), where the adapter or roster writer uses it. */
  readonly apiVersion?: (() => Promise<string | undefined>) | undefined;
}

export interface ServerProbe {
  readonly identity: ServerIdentity | undefined;
  readonly report: ServerReport | undefined;
  /** Said when the server names no version: how to make it say. */
  readonly unnamed: string | undefined;
  readonly warnings: readonly string[];
}

/** ejabberd 24.10 to 25.02: mod_privilege drops every IQ a component sends that is not a privileged one. */
function dropsComponentIqs(identity: ServerIdentity | undefined): boolean {
  return identity !== undefined && knownServer(identity.name) === "ejabberd" && identity.version !== undefined
    && compareVersions(identity.version, "24.10") >= 0 && compareVersions(identity.version, "25.03") < 0;
}

function silenceWarning(domain: string, what: string, detail: string, identity: ServerIdentity | undefined): string {
  const cause = dropsComponentIqs(identity)
    ? `${identity?.name ?? "ejabberd"} ${identity?.version ?? ""} drops every IQ a component sends while mod_privilege is loaded: remove mod_privilege from ejabberd.yml (rosters go through the HTTP API) or upgrade to 25.03`
    : "is the component routed to the server? On ejabberd 24.10 to 25.02, mod_privilege drops every IQ a component sends: remove it";
  return `${domain} did not answer the component's ${what} (${detail}): ${cause}`;
}

export async function probeServer(deps: ProbeDeps): Promise<ServerProbe> {
  const { xmpp, domain, timeoutMs, adapter } = deps;
  const asked = await askSoftwareVersion(xmpp, domain, timeoutMs);
  let identity: ServerIdentity | undefined = asked.answered ? { name: asked.name, version: releaseOf(asked.version), source: "XEP-0092" } : undefined;
  if (identity === undefined && deps.apiVersion !== undefined) {
    const version = await deps.apiVersion();
    if (version !== undefined) identity = { name: "ejabberd", version, source: "ejabberd API status" };
  }
  const warnings: string[] = [];
  if (!asked.answered && asked.silent) warnings.push(silenceWarning(domain, "XEP-0092 version query", asked.detail, identity));
  if (adapter.type === "xep0133") {
    const to = adapter.commands_jid ?? domain;
    const right = await probeAdminRight(xmpp, to, timeoutMs);
    if (!right.allowed && right.silent && !(!asked.answered && asked.silent)) warnings.push(silenceWarning(to, "XEP-0133 command", right.detail, identity));
    if (!right.allowed && !right.silent) {
      warnings.push(`${to} refuses XEP-0133 commands from ${deps.componentDomain} (${right.detail}): Prosody: add "${deps.componentDomain}" to admins; ejabberd: add it to the configure access rule (acl server: ${deps.componentDomain})`);
    }
  }
  const report = identity === undefined ? undefined : describeServer(identity, adapter);
  const unnamed = identity === undefined && !(!asked.answered && asked.silent)
    ? `${domain} does not say its name and version (${asked.answered ? "no version" : asked.detail}): load mod_version (Prosody and ejabberd)`
    : undefined;
  return { identity, report, unnamed, warnings: [...warnings, ...(report?.warnings ?? [])] };
}

/**
 * Instances on a shared database behind ejabberd are all connected at once; what ejabberd then
 * does with one client's stanzas is its `domain_balancing`, which cannot be read from here.
 */
export function balancingWarning(identity: ServerIdentity | undefined, componentDomain: string): string | undefined {
  if (identity === undefined || knownServer(identity.name) !== "ejabberd") return undefined;
  return `instances sharing this database all connect to ejabberd at once: its domain_balancing for ${componentDomain} needs component_number equal to the number of instances `
    + "(a slot no instance holds drops what ejabberd routes to it, without an error); this cannot be read from here: see docs/operations.md, Several instances";
}

/** The start log's lines about the server: who it is and what works there, then what to fix. */
export function logServerProbe(log: { info: (fields: object, message: string) => void; warn: (fields: object, message: string) => void }, probe: ServerProbe): void {
  if (probe.report !== undefined) log.info({ ...probe.report.fields, source: probe.identity?.source }, `server: ${probe.report.summary}`);
  if (probe.unnamed !== undefined) log.info({ server: "unknown" }, `server: ${probe.unnamed}`);
  for (const warning of probe.warnings) log.warn({ server: probe.identity?.name ?? "unknown", version: probe.identity?.version }, warning);
}
