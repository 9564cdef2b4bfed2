// The configuration schema: types, defaults and the description of every key in one place.
// Operator-facing keys are snake_case, as in Prosody's configuration.
import { z } from "zod";
import { isAccountJid, parseJid } from "../protocol/jid.js";
import { parsePeriod } from "../invites/domain/period.js";

const DOMAIN_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const domainName = z.string().regex(DOMAIN_RE, "must be a domain name such as example.org");

/** A bare JID, the domain alone allowed (a component's JID may be an admin). */
const bareJid = z.string().refine((value) => {
  const jid = parseJid(value);
  return jid !== undefined && jid.resource === "" && !/\s/.test(value) && DOMAIN_RE.test(jid.domain);
}, "must be a bare JID such as admin@example.org");
/** A bare JID of an account: a localpart is required. */
const accountJid = bareJid.refine((value) => isAccountJid(value), "must be a bare JID such as admin@example.org");

const period = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    const seconds = parsePeriod(value);
    if (seconds === undefined) {
      ctx.addIssue({ code: "custom", message: 'must be a number of seconds or a period such as "7d", "12h" or "1 week"' });
      return z.NEVER;
    }
    return seconds;
  });

const componentService = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === "xmpp:" && url.hostname !== "" && url.port !== "";
  } catch {
    return false;
  }
}, "must look like xmpp://127.0.0.1:5347 (host and component port of the XMPP server)");

const listenAddress = z.string().refine((value) => {
  const match = /^(\[[0-9a-f:]+\]|[^:]+):(\d{1,5})$/i.exec(value);
  return match !== null && Number(match[2]) <= 65535;
}, "must be HOST:PORT, such as 127.0.0.1:5281");

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === "https:" || url.protocol === "http:") && url.search === "" && url.hash === "";
  } catch {
    return false;
  }
}, "must be an http(s) URL such as https://invite.example.org");

const httpSection = z
  .strictObject({
    listen: listenAddress.default("127.0.0.1:5281").describe("Where the web pages and the API listen (put a TLS reverse proxy in front)"),
    public_url: httpUrl.optional().describe("The external base URL used in links, e.g. https://invite.example.org"),
    trust_proxy: z.boolean().default(false).describe("Take the client address from X-Forwarded-For (behind a reverse proxy)"),
    rate_limit: z
      .strictObject({
        max: z.number().int().positive().default(10).describe("Registration attempts per client address per window"),
        window: period.default(600).describe("The window, in seconds or as a period"),
      })
      .default({ max: 10, window: 600 }),
  })
  .default({ listen: "127.0.0.1:5281", trust_proxy: false, rate_limit: { max: 10, window: 600 } });

const xmppService = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === "xmpp:" || url.protocol === "xmpps:") && url.hostname !== "";
  } catch {
    return false;
  }
}, "must look like xmpp://127.0.0.1:5222");

/** Who writes the roster items of mutual subscriptions (XEP-0379). */
const rosterConfig = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("xep0356") }).describe("XEP-0356 privileged roster access granted to the component (Prosody: mod_privilege)"),
  z.strictObject({
    type: z.literal("ejabberd-api"),
    url: httpUrl.describe("mod_http_api base URL, e.g. http://127.0.0.1:5280/api"),
    username: z.string().optional(),
    password: z.string().optional(),
  }).describe("ejabberd's add_rosteritem (its XEP-0356 roster set is broken in 23.01)"),
  z.strictObject({ type: z.literal("prosodyctl"), config: z.string().min(1), command: z.string().min(1).default("prosodyctl") })
    .describe("Prosody's rostermanager through prosodyctl shell, beside a Prosody the component cannot be privileged on"),
  z.strictObject({ type: z.literal("none") }).describe("No roster writes: contact and group invites are refused"),
]);

const timeout = period.default(10).describe("Seconds to wait for the server to answer");

const adapterConfig = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("xep0133").describe("XEP-0133 admin commands sent from the component JID to `domain`"),
    timeout,
    commands_jid: z.string().min(1).optional().describe("Where the commands go when not the domain (Tigase: sess-man@DOMAIN)"),
    roster: rosterConfig.default({ type: "xep0356" }),
  }).describe("Prosody: list the component in `admins`; ejabberd: the component in the `configure` access rule"),
  z.strictObject({
    type: z.literal("xep0133-account"),
    jid: accountJid.describe("An admin account on the server"),
    password: z.string().min(1),
    service: xmppService.describe("The server's client port, e.g. xmpp://127.0.0.1:5222"),
    timeout,
    commands_jid: z.string().min(1).optional().describe("Where the commands go when not the domain (Tigase: sess-man@DOMAIN)"),
    roster: rosterConfig.default({ type: "xep0356" }),
  }).describe("The same commands from an admin account over a client connection (Openfire, Tigase, servers that will not make a component an admin)"),
  z.strictObject({
    type: z.literal("ejabberd-api"),
    url: httpUrl.describe("mod_http_api base URL, e.g. http://127.0.0.1:5280/api"),
    username: z.string().optional(),
    password: z.string().optional(),
    timeout,
    roster: rosterConfig.optional(),
  }).describe("ejabberd's HTTP API: register, check_account, change_password, unregister, add_rosteritem"),
  z.strictObject({
    type: z.literal("prosodyctl"),
    config: z.string().min(1).describe("Path of prosody.cfg.lua"),
    command: z.string().min(1).default("prosodyctl"),
    timeout,
    roster: rosterConfig.optional(),
  }).describe("prosodyctl shell beside Prosody, commands batched on one process"),
]);

/** Platforms a client app can be listed under on the landing page. */
export const APP_PLATFORMS = ["Android", "iOS", "macOS", "Windows", "Linux", "Web"] as const;

const appEntry = z.union([
  z.string().min(1).describe("The id of a built-in app (conversations, cheogram, monal, siskin, gajim, dino, beagle, movim)"),
  z.strictObject({
    id: z.string().regex(/^[a-z0-9-]{1,40}$/, "must be lower-case letters, digits and dashes"),
    name: z.string().min(1).max(60),
    platforms: z.array(z.enum(APP_PLATFORMS)).min(1),
    supports_preauth: z.boolean().default(false).describe("The app opens xmpp:…;preauth= links and registers by itself"),
    play_store_id: z.string().regex(/^[A-Za-z0-9._]+$/).optional().describe("Google Play package: its link carries the invite through the install"),
    links: z.array(z.strictObject({ url: httpUrl, label: z.string().min(1).max(40).optional() })).max(5).default([]),
  }).describe("An app of your own"),
]);

const requestsSection = z
  .strictObject({
    enabled: z.boolean().default(false).describe("The front page offers a form to request an account, approved by an admin"),
    expiry: period.default(604800).describe("How long a request waits for an answer"),
    max_pending: z.number().int().positive().default(100).describe("Requests waiting at once; beyond it new ones are refused"),
    rate_limit: z
      .strictObject({
        max: z.number().int().positive().default(3).describe("Requests per client address per window"),
        window: period.default(3600),
      })
      .default({ max: 3, window: 3600 }),
  })
  .default({ enabled: false, expiry: 604800, max_pending: 100, rate_limit: { max: 3, window: 3600 } });

const portalSection = z
  .strictObject({
    enabled: z.boolean().default(true).describe("Users sign in at /account with their XMPP password to create and share invites; admins decide at /admin"),
    client_service: xmppService.optional()
      .describe("The server's client port the password is checked on (a SASL login), e.g. xmpp://127.0.0.1:5222 (default: the component host, port 5222)"),
    session_expiry: period.default(43200).describe("How long a sign-in lasts"),
  })
  .default({ enabled: true, session_expiry: 43200 });

export const configSchema = z.strictObject({
  domain: domainName.describe("The XMPP domain where accounts are created"),
  component: z
    .strictObject({
      service: componentService.describe("Where the server listens for components (XEP-0114)"),
      domain: domainName.describe("The component's JID, as declared in the server's config"),
      secret: z.string().min(1, "must not be empty").describe("The component's shared secret"),
    })
    .describe("The XEP-0114 connection to the XMPP server"),
  registration_invite_only: z.boolean().default(true).describe("Require a valid invite for every registration"),
  allow_registration: z.boolean().default(false).describe("With registration_invite_only false: allow registration without an invite"),
  allow_contact_invites: z.boolean().default(true).describe("Users of the domain may create contact invites (else admins only)"),
  allow_user_invites: z.boolean().default(false).describe("Contact invites from users who are not admins may also create an account"),
  invite_expiry: period.default(604800).describe("Default invite lifetime: seconds or a period like \"7d\""),
  database: z.string().min(1).default("./data/invites.sqlite").describe("SQLite file, relative to the config file's folder; or a postgresql:// URL (several instances may share it)"),
  adapter: adapterConfig.default({ type: "xep0133", timeout: 10, roster: { type: "xep0356" } }).describe("How accounts are created on the server"),
  admins: z.array(bareJid).default([]).describe("Bare JIDs allowed to manage invites"),
  bridge: z.enum(["auto", "prosody", "none"]).default("auto")
    .describe("Whether the server redeems invites in its own registration (mod_xmpp_invites for Prosody or ejabberd): auto = ask the server (disco#info), prosody = expect it, none = no bridge"),
  http: httpSection.describe("The web door: landing pages, web registration, HTTP API, health and metrics"),
  site_name: z.string().min(1).max(100).optional().describe("Shown on the web pages (default: the domain)"),
  webchat_url: httpUrl.optional().describe("A web chat where new users can log in, linked from the success page"),
  terms_url: httpUrl.optional().describe("Terms of service: the registration form then asks for consent, recorded with the redemption"),
  privacy_url: httpUrl.optional().describe("Privacy policy: the registration form then asks for consent, recorded with the redemption"),
  default_language: z.string().regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, "must be a language tag such as en, de or pt-BR").default("en")
    .describe("The web pages' language when neither the visitor's choice nor the browser's languages match one"),
  apps: z.array(appEntry).max(50).optional().describe("The apps on the landing page, in order (default: the built-in list)"),
  registration_requests: requestsSection.describe("Requests for an account, approved by an admin"),
  password_policy: z
    .strictObject({ min_length: z.number().int().min(1).max(1024).default(10).describe("Shortest password accepted") })
    .default({ min_length: 10 })
    .describe("Applied to every registration and password reset, whichever door"),
  notify_inviters: z.boolean().default(true)
    .describe("When an invite is used, its inviter (the admins, for invites made from the CLI or the API) gets a message from the component"),
  registration_watchers: z.array(accountJid).default([]).describe("Accounts told of every account created, like Prosody's registration_watchers"),
  welcome_message: z.string().min(1).max(2000).optional()
    .describe("Sent from the component to every new account; {username}, {site_name} and {inviter} are filled in"),
  invite_limits: z
    .strictObject({
      active_per_user: z.number().int().min(0).default(10).describe("Invites of one user that can still be used (0: no limit)"),
      per_user_per_day: z.number().int().min(0).default(10).describe("Invites one user may create in 24 hours (0: no limit)"),
      chain_depth: z.number().int().min(0).default(2).describe("Longest chain of accounts, each invited within chain_window of the next, an invite may extend (0: no limit)"),
      chain_window: period.default(300).describe("The window of chain_depth, in seconds or as a period"),
      tree_size: z.number().int().min(0).default(1000).describe("Accounts one invitation tree may hold (0: no limit)"),
    })
    .default({ active_per_user: 10, per_user_per_day: 10, chain_depth: 2, chain_window: 300, tree_size: 1000 })
    .describe("What users who are not admins may invite; admins are exempt"),
  portal: portalSection.describe("The web portal: sign in with the account's password, invites, admin decisions"),
  log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info").describe("Log verbosity"),
}).superRefine((config, ctx) => {
  // A config that offers contact invites promises XEP-0379 subscriptions: it needs a roster writer.
  if (config.allow_contact_invites && effectiveRoster(config.adapter).type === "none") {
    ctx.addIssue({ code: "custom", path: ["allow_contact_invites"], message: 'contact invites need a roster capability: set adapter.roster, or set allow_contact_invites to false' });
  }
});

export type RosterConfig = z.output<typeof rosterConfig>;

/** The roster capability a configured adapter brings, unless `adapter.roster` names another. */
export function effectiveRoster(adapter: z.output<typeof adapterConfig>): RosterConfig {
  if (adapter.roster !== undefined) return adapter.roster;
  switch (adapter.type) {
    case "ejabberd-api":
      return { type: "ejabberd-api", url: adapter.url, ...(adapter.username === undefined ? {} : { username: adapter.username }), ...(adapter.password === undefined ? {} : { password: adapter.password }) };
    case "prosodyctl":
      return { type: "prosodyctl", config: adapter.config, command: adapter.command };
    default:
      return { type: "xep0356" };
  }
}

/** Where the portal checks passwords: `portal.client_service`, else the component's host on port 5222. */
export function portalClientService(config: { component: { service: string }; portal: { client_service?: string | undefined } }): string {
  if (config.portal.client_service !== undefined) return config.portal.client_service;
  return `xmpp://${new URL(config.component.service).host.replace(/:\d+$/, "")}:5222`;
}

export type ConfigInput = z.input<typeof configSchema>;
export type Config = Readonly<z.output<typeof configSchema>>;
export type AdapterConfig = Config["adapter"];
