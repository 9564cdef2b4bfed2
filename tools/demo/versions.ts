// The installed server packages' versions (Debian's dpkg), as the throwaway servers report them
// and the test run prints once: "servers: prosody 13.0.1, ejabberd 24.12".
import { execFileSync } from "node:child_process";

/** The package's version as dpkg has it (e.g. 24.12-3~bpo12+1), or undefined when not installed. */
export function packageVersion(name: string): string | undefined {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Version}", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || undefined;
  } catch {
    return undefined; // not installed, or not a Debian system
  }
}

/** The upstream part of a Debian version: 1:13.0.1-1~bpo12+1 → 13.0.1. */
export function upstreamVersion(debian: string): string {
  return debian.replace(/^\d+:/, "").replace(/-[^-]*$/, "");
}

/** One line naming the servers the tests run against. */
export function serversLine(): string {
  const parts = ["prosody", "ejabberd"].map((name) => {
    const version = packageVersion(name);
    return `${name} ${version === undefined ? "not installed" : upstreamVersion(version)}`;
  });
  return `servers: ${parts.join(", ")}`;
}
