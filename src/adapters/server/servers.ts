// The servers this project runs on, by generation: which versions the suites test, what works
// there with each adapter and roster writer, and the configuration it needs. One table drives the
// start log and `check-config --probe`; docs/servers/*.md say the same in prose.
import type { AdapterConfig } from "../../config/schema.js";
import { effectiveRoster } from "../../config/schema.js";

type AdapterType = AdapterConfig["type"];
type RosterType = ReturnType<typeof effectiveRoster>["type"];

export interface ServerGeneration {
  readonly server: "Prosody" | "ejabberd";
  /** The first version of this generation, and the first of the next one (absent: the newest). */
  readonly from: string;
  readonly below?: string;
  /** The versions the test suites start and run against. */
  readonly tested: readonly string[];
  /** Adapters that create accounts and reset passwords here, and how; absent: not on this server. */
  readonly accounts: Partial<Record<AdapterType, string>>;
  /** Roster writers for XEP-0379 mutual subscriptions that work here, and how. */
  readonly rosters: Partial<Record<RosterType, string>>;
  /** How apps redeem invite links on the server's own stream; undefined: they cannot. */
  readonly bridge: string | undefined;
  /** Configuration the adapters need on this server, beyond the component itself. */
  readonly needs: readonly string[];
}

const PROSODY_ACCOUNTS = {
  xep0133: "XEP-0133 from the component (its domain in `admins`)",
  "xep0133-account": "XEP-0133 from an admin account",
  prosodyctl: "prosodyctl shell",
} as const;
const PROSODY_ROSTERS = {
  xep0356: "XEP-0356 (mod_privilege, privileged_entities roster = \"both\")",
  prosodyctl: "rostermanager through prosodyctl shell",
} as const;
const EJABBERD_ACCOUNTS = {
  "ejabberd-api": "mod_http_api register, check_account, change_password, unregister",
  xep0133: "XEP-0133 from the component (the `configure` access rule)",
  "xep0133-account": "XEP-0133 from an admin account",
} as const;

export const SERVER_GENERATIONS: readonly ServerGeneration[] = [
  {
    server: "Prosody", from: "0.12", below: "13", tested: ["0.12.3"],
    accounts: PROSODY_ACCOUNTS, rosters: PROSODY_ROSTERS,
    bridge: "mod_xmpp_invites (this package's prosody/ folder)",
    needs: ["the component's domain in `admins` (xep0133)", "mod_privilege from prosody-modules on the host and the component (xep0356)"],
  },
  {
    server: "Prosody", from: "13", tested: ["13.0.1"],
    accounts: PROSODY_ACCOUNTS, rosters: PROSODY_ROSTERS,
    bridge: "mod_xmpp_invites (this package's prosody/ folder)",
    needs: ["the component's domain in `admins` (xep0133)", "mod_privilege from prosody-modules on the host and the component (xep0356)"],
  },
  {
    server: "ejabberd", from: "23.01", below: "24.02", tested: ["23.01"],
    accounts: EJABBERD_ACCOUNTS,
    // Its XEP-0356 roster set fails (processone/ejabberd#3942).
    rosters: { "ejabberd-api": "add_rosteritem (API version 0: `group`)" },
    bridge: undefined,
    needs: ["mod_http_api with the adapter's commands in `api_permissions`", "mod_admin_extra", "mod_adhoc and mod_configure (xep0133)"],
  },
  {
    server: "ejabberd", from: "24.02", below: "25.03", tested: ["24.12"],
    accounts: EJABBERD_ACCOUNTS,
    rosters: { "ejabberd-api": "add_rosteritem (API version 1: `groups`)" },
    bridge: undefined,
    needs: [
      "mod_http_api with the adapter's commands in `api_permissions`", "mod_admin_extra", "mod_adhoc and mod_configure (xep0133)",
      "no mod_privilege (24.10 to 25.02 drop every other IQ the component sends, XEP-0133 included)",
    ],
  },
  {
    // Not tested: 25.03 routes a component's plain IQs beside mod_privilege again; 26.01 brings
    // ejabberd's own mod_invites (its own tokens, beside this component's).
    server: "ejabberd", from: "25.03", tested: [],
    accounts: EJABBERD_ACCOUNTS,
    rosters: { "ejabberd-api": "add_rosteritem (API version 1 and later: `groups`)" },
    bridge: undefined,
    needs: ["mod_http_api with the adapter's commands in `api_permissions`", "mod_admin_extra", "mod_adhoc and mod_configure (xep0133)"],
  },
];

/** -1, 0 or 1, comparing dotted version numbers ("0.12.3" < "13"; "24.12" < "25.03"). */
export function compareVersions(a: string, b: string): number {
  const left = a.split(".").map((part) => Number.parseInt(part, 10) || 0);
  const right = b.split(".").map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

/** The release in a version a server reports: Debian's ejabberd says "24.12-3~bpo12+1". */
export function releaseOf(version: string | undefined): string | undefined {
  return version === undefined ? undefined : (/^\d+(?:\.\d+)*/.exec(version.trim())?.[0] ?? version.trim());
}

/** The software a server named itself (XEP-0092 `name`, e.g. "Prosody", "ejabberd"), as this table knows it. */
export function knownServer(name: string): ServerGeneration["server"] | undefined {
  return SERVER_GENERATIONS.find((generation) => generation.server.toLowerCase() === name.trim().toLowerCase())?.server;
}

export function generationOf(name: string, version: string | undefined): ServerGeneration | undefined {
  const server = knownServer(name);
  if (server === undefined || version === undefined) return undefined;
  return SERVER_GENERATIONS.find((generation) => generation.server === server
    && compareVersions(version, generation.from) >= 0
    && (generation.below === undefined || compareVersions(version, generation.below) < 0));
}

/** Who the server is, as it told the component or the adapter. */
export interface ServerIdentity {
  readonly name: string;
  readonly version: string | undefined;
  /** Where that came from: "XEP-0092", "ejabberd API status". */
  readonly source: string;
}

export interface ServerReport {
  /** One line: the server, its version, and what works there with this configuration. */
  readonly summary: string;
  readonly fields: {
    readonly server: string;
    readonly version: string | undefined;
    readonly tested: boolean;
    readonly accounts: boolean | "unknown";
    readonly resets: boolean | "unknown";
    readonly roster_writes: boolean | "unknown";
    readonly bridge: boolean | "unknown";
  };
  /** What the operator must change for the configured adapter to work on this server. */
  readonly warnings: readonly string[];
}

/** What works on `identity` with the configured adapter and roster writer, from the table. */
export function describeServer(reported: ServerIdentity, adapter: AdapterConfig): ServerReport {
  const identity = { ...reported, version: releaseOf(reported.version) };
  const roster = effectiveRoster(adapter).type;
  const generation = generationOf(identity.name, identity.version);
  const named = `${identity.name} ${identity.version ?? "(version not said)"}`;
  if (generation === undefined) {
    return {
      summary: `${named} (${identity.source}): not a version these tests run against; ${supportedVersions()} are`,
      fields: { server: identity.name, version: identity.version, tested: false, accounts: "unknown", resets: "unknown", roster_writes: "unknown", bridge: "unknown" },
      warnings: [],
    };
  }
  const accounts = generation.accounts[adapter.type];
  const rosterHow = roster === "none" ? undefined : generation.rosters[roster];
  const tested = identity.version !== undefined && generation.tested.includes(identity.version);
  const warnings = [
    ...(accounts === undefined ? [`the ${adapter.type} adapter does not work with ${generation.server}: use ${Object.keys(generation.accounts).join(" or ")}`] : []),
    ...(roster !== "none" && rosterHow === undefined ? [`roster writes through ${roster} do not work on ${named}: use ${Object.keys(generation.rosters).join(" or ")}`] : []),
  ];
  const parts = [
    `accounts and resets ${accounts === undefined ? "no" : `yes, ${accounts}`}`,
    `roster writes ${roster === "none" ? "none configured" : rosterHow === undefined ? "no" : `yes, ${rosterHow}`}`,
    `bridge ${generation.bridge ?? "none (apps register in the browser)"}`,
  ];
  return {
    summary: `${named} (${identity.source}${tested ? ", tested" : `, untested; tested: ${generation.tested.join(", ") || "none of this generation"}`}): ${parts.join("; ")}`,
    fields: { server: generation.server, version: identity.version, tested, accounts: accounts !== undefined, resets: accounts !== undefined, roster_writes: rosterHow !== undefined, bridge: generation.bridge !== undefined },
    warnings,
  };
}

/** "Prosody 0.12.3, 13.0.1; ejabberd 23.01, 24.12": the versions the suites run against. */
export function supportedVersions(): string {
  const byServer = new Map<string, string[]>();
  for (const generation of SERVER_GENERATIONS) byServer.set(generation.server, [...(byServer.get(generation.server) ?? []), ...generation.tested]);
  return [...byServer].map(([server, versions]) => `${server} ${versions.join(", ")}`).join("; ");
}
