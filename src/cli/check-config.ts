// check-config: validate, say what the configuration does, and warn about values that are valid
// but unsafe. Warnings do not change the exit code: the file is usable, the operator decides.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { parseArgs } from "node:util";
import { configPath, loadConfig } from "../config/load.js";
import { formatPeriod } from "../invites/domain/period.js";
import { type Config, effectiveRoster, portalClientService } from "../config/schema.js";
import { chooseMechanism, saslLogin } from "../client/sasl-login.js";
import { describeAccountCheck, describeCapabilities, ejabberdApiVersion } from "../adapters/index.js";
import { type ServerProbe, balancingWarning, probeServer } from "../adapters/server/probe.js";
import { supportedVersions } from "../adapters/server/servers.js";
import { registrationMode } from "../invites/registration/registration-service.js";
import { redactText } from "../redact.js";
import { usage } from "./usage.js";

/** The component secret config.example.json ships with. */
export const EXAMPLE_SECRET = "change-me-to-a-long-random-secret";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);
const isLoopback = (url: string) => LOOPBACK.has(new URL(url).hostname) || new URL(url).hostname.startsWith("127.");

function canAccess(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}

/** Where a command would be found, as the adapter's spawn would find it. */
function findCommand(command: string, env: NodeJS.ProcessEnv): string | undefined {
  if (command.includes("/")) return canAccess(command, constants.X_OK) ? command : undefined;
  for (const dir of (env["PATH"] ?? "").split(delimiter)) {
    if (dir && canAccess(join(dir, command), constants.X_OK)) return join(dir, command);
  }
  return undefined;
}

/** The folder that will hold the database: the nearest existing ancestor must be writable. */
function nearestExisting(path: string): string {
  let dir = dirname(path);
  while (!canAccess(dir, constants.F_OK) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Valid but unsafe or unusable values, each as one sentence an operator can act on. */
export function configWarnings(config: Config, path: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const warnings: string[] = [];
  if (config.component.secret === EXAMPLE_SECRET || /^change-?me/i.test(config.component.secret)) {
    warnings.push("component.secret is the example's placeholder: set a long random secret (e.g. openssl rand -hex 24) here and in the server's component config");
  } else if (config.component.secret.length < 16) {
    warnings.push(`component.secret is ${config.component.secret.length} characters long: use at least 16 random characters`);
  }
  // The file always holds the component secret, and may hold adapter credentials.
  const mode = statSync(path).mode;
  if (mode & 0o004) {
    warnings.push(`${path} holds secrets but every user on this machine can read it (mode ${(mode & 0o777).toString(8).padStart(4, "0")}): chmod 600 or 640`);
  }
  const publicUrl = config.http?.public_url;
  if (publicUrl !== undefined && publicUrl.startsWith("http:") && !isLoopback(publicUrl)) {
    warnings.push(`http.public_url ${publicUrl} is not https: invite links carry their token and the web form a password, in clear`);
  }
  const adapter = config.adapter;
  if (adapter.type === "ejabberd-api" && adapter.password !== undefined && adapter.url.startsWith("http:") && !isLoopback(adapter.url)) {
    warnings.push(`adapter.url ${adapter.url} is not https and not on this machine: the API credentials travel in clear`);
  }
  const roster = effectiveRoster(adapter);
  for (const prosodyctl of [adapter, roster]) {
    if (prosodyctl.type !== "prosodyctl") continue;
    if (findCommand(prosodyctl.command, env) === undefined) {
      warnings.push(`adapter: "${prosodyctl.command}" is not an executable command for this user: the prosodyctl adapter cannot run`);
    }
    const cfg = isAbsolute(prosodyctl.config) ? prosodyctl.config : join(dirname(path), prosodyctl.config);
    if (!canAccess(cfg, constants.R_OK)) {
      warnings.push(`adapter: ${prosodyctl.config} cannot be read by this user: prosodyctl needs Prosody's config (and write access to its admin socket)`);
    }
    break;
  }
  if (config.database !== ":memory:" && !/^postgres(ql)?:\/\//i.test(config.database)) {
    const target = canAccess(config.database, constants.F_OK) ? config.database : nearestExisting(config.database);
    if (!canAccess(target, constants.W_OK)) {
      warnings.push(`database: ${target} is not writable by this user: the service cannot record invites`);
    }
  }
  return warnings;
}

/** What `bridge` means for someone who opens an invite link in an app. */
export function describeBridge(mode: Config["bridge"], domain: string): string {
  switch (mode) {
    case "prosody":
      return `apps redeem invite links directly through Prosody's mod_xmpp_invites on ${domain} (checked with disco#info at start; the landing page falls back to the browser if it is missing)`;
    case "none":
      return "apps cannot redeem invite links directly: the landing page leads with registration in the browser, then login in the app";
    default:
      return `apps redeem invite links directly only if ${domain} has the bridge module, mod_xmpp_invites for Prosody or ejabberd (asked with disco#info at start); otherwise the landing page leads with registration in the browser`;
  }
}

/**
 * --probe: connect as the component for a moment and ask the server who it is and whether the
 * adapter's commands get through. Prosody refuses a second connection of a running component.
 */
async function probe(config: Config): Promise<ServerProbe | string> {
  const { createComponentConnection } = await import("../xmpp/component.js");
  const { createLogger } = await import("../log.js");
  const log = createLogger("silent");
  const timeoutMs = config.adapter.timeout * 1000;
  const connection = createComponentConnection({ service: config.component.service, domain: config.component.domain, secret: config.component.secret, log });
  try {
    const online = await Promise.race([
      connection.start().then((): true => true, (err: unknown) => (err instanceof Error ? err.message : String(err))),
      new Promise<string>((resolve) => setTimeout(() => resolve(`no connection to ${config.component.service} within ${config.adapter.timeout} s`), timeoutMs).unref()),
    ]);
    if (online !== true) return online;
    return await probeServer({
      xmpp: connection, domain: config.domain, componentDomain: config.component.domain, timeoutMs, adapter: config.adapter,
      apiVersion: ejabberdApiVersion(config.adapter, { domain: config.domain, log }),
    });
  } finally {
    await connection.stop();
  }
}

function serverLines(probed: ServerProbe | string | undefined, config: Config): { lines: string[]; warnings: string[] } {
  if (probed === undefined) return { lines: [`  server           not asked (--probe asks it); tested: ${supportedVersions()}`], warnings: [] };
  if (typeof probed === "string") return { lines: ["  server           could not be asked"], warnings: [`--probe: ${probed}`] };
  const line = probed.report?.summary ?? probed.unnamed ?? "did not answer";
  const balancing = /^postgres(ql)?:\/\//i.test(config.database) ? balancingWarning(probed.identity, config.component.domain) : undefined;
  return { lines: [`  server           ${line}`], warnings: [...probed.warnings, ...(balancing === undefined ? [] : [balancing])] };
}

/**
 * Whether the portal's sign-in can work: with --probe, the mechanisms the server's client port
 * offers and whether the stream is protected (TLS, or loopback); else where it would ask.
 */
async function portalLines(config: Config, probing: boolean): Promise<{ lines: string[]; warnings: string[] }> {
  if (!config.portal.enabled) return { lines: ["  portal           off"], warnings: [] };
  const service = portalClientService(config);
  if (!probing) return { lines: [`  portal           /account: passwords checked by a SASL login on ${service} (--probe asks it)`], warnings: [] };
  try {
    const offered = await saslLogin({ service, domain: config.domain, timeoutMs: config.adapter.timeout * 1000 }, undefined);
    const mechanism = chooseMechanism(offered.mechanisms, offered.secure);
    const how = `${service} offers ${offered.mechanisms.join(", ") || "no mechanism"}${offered.secure ? " (TLS or loopback)" : " without TLS"}`;
    if (mechanism === undefined) return { lines: [`  portal           sign-in cannot work: ${how}`], warnings: [`portal: ${service} offers neither SCRAM-SHA-1/256 nor PLAIN over TLS: nobody can sign in to /account`] };
    return { lines: [`  portal           sign-in with ${mechanism}: ${how}`], warnings: [] };
  } catch (err) {
    return { lines: ["  portal           the client port could not be asked"], warnings: [`portal: ${service}: ${err instanceof Error ? err.message : String(err)}`] };
  }
}

export async function runCheckConfig(args: string[]): Promise<number> {
  const { values } = usage(() => parseArgs({ args, options: { config: { type: "string" }, probe: { type: "boolean" } }, strict: true }));
  const path = configPath(values.config);
  const config = loadConfig(path);
  const server = serverLines(values.probe === true ? await probe(config) : undefined, config);
  const portal = await portalLines(config, values.probe === true);
  const warnings = [...configWarnings(config, path), ...server.warnings, ...portal.warnings];
  const mode = registrationMode({ inviteOnly: config.registration_invite_only, allowRegistration: config.allow_registration });
  process.stdout.write(
    [
      `${path}: valid${warnings.length ? `, with ${warnings.length} warning${warnings.length === 1 ? "" : "s"}` : ""}`,
      `  accounts on      ${config.domain}`,
      `  component        ${config.component.domain} via ${config.component.service}`,
      ...server.lines,
      `  registration     ${mode}`,
      `  invite expiry    ${formatPeriod(config.invite_expiry)}`,
      // A URL's password is masked.
      `  database         ${redactText(config.database)}`,
      `  adapter          ${config.adapter.type}: ${describeCapabilities(config.adapter).join(", ")}`,
      `  open claims      settled by asking the server whether the account exists: ${describeAccountCheck(config.adapter)}`,
      `  contact invites  ${config.allow_contact_invites ? "users of the domain" : "admins only"}; may register: ${config.allow_user_invites ? "always" : "admins' only"}`,
      `  admins           ${config.admins.length ? config.admins.join(", ") : "(none)"}`,
      `  bridge           ${config.bridge}: ${describeBridge(config.bridge, config.domain)}`,
      ...portal.lines,
      ...warnings.map((warning) => `warning: ${warning}`),
      "",
    ].join("\n"),
  );
  return 0;
}
