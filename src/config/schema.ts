// The configuration schema: types, defaults and the description of every key in one place.
// Operator-facing keys are snake_case, as in Prosody's configuration.
import { z } from "zod";
import { parsePeriod } from "./period.js";

const DOMAIN_RE = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

const domainName = z.string().regex(DOMAIN_RE, "must be a domain name such as example.org");

const bareJid = z.string().refine((value) => {
  const at = value.indexOf("@");
  const domain = at === -1 ? value : value.slice(at + 1);
  return !value.includes("/") && (at === -1 || at > 0) && DOMAIN_RE.test(domain);
}, "must be a bare JID such as admin@example.org");

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

const xep0133Adapter = z
  .strictObject({
    type: z.literal("xep0133").describe("XEP-0133 admin commands sent from the component JID to `domain`"),
    timeout: period.default(10).describe("Seconds to wait for the server to answer a command"),
  })
  .describe("Create accounts with XEP-0133 commands from the component (Prosody: list the component in `admins`)");

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
  database: z.string().min(1).default("./data/invites.sqlite").describe("SQLite file, relative to the config file's folder"),
  adapter: z.discriminatedUnion("type", [xep0133Adapter]).default({ type: "xep0133", timeout: 10 }).describe("How accounts are created on the server"),
  admins: z.array(bareJid).default([]).describe("Bare JIDs allowed to manage invites"),
  log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info").describe("Log verbosity"),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = Readonly<z.output<typeof configSchema>>;
export type AdapterConfig = Config["adapter"];
