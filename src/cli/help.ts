// The help texts: one overview and one page per command, so `help COMMAND` and `COMMAND --help`
// say exactly what that command needs.
import { readFileSync } from "node:fs";

const CONFIG = "  --config PATH    Configuration file (else $XMPP_INVITES_CONFIG, else ./config.json)";

export const COMMAND_HELP = {
  start: `Usage: xmpp-invites start [--config PATH] [--log-format json|pretty]

Connect to the XMPP server as the component and serve registrations (and the web door when
\`http\` is configured). Stops cleanly on SIGINT/SIGTERM; reconnects by itself when the server
restarts.

${CONFIG}
  --log-format F   json (one object a line) or pretty (one readable line); default: pretty
                   when stdout is a terminal, json otherwise. Also $XMPP_INVITES_LOG_FORMAT.
`,
  "check-config": `Usage: xmpp-invites check-config [--config PATH] [--probe]

Validate the configuration, say what it will do, and warn about unsafe values: the example's
placeholder secret, a config file with secrets that other users can read, an http:// public URL,
an adapter this user cannot use. Exit 0 when valid (warnings included), 78 when not.

${CONFIG}
  --probe          Also connect as the component for a moment and ask the server its name and
                   version (XEP-0092; ejabberd's API status) and whether it lets the component
                   run XEP-0133 commands; say what works on that version and what to change.
                   Run it before starting the service: Prosody refuses a second connection
                   of a running component, and ejabberd would share the component's traffic
                   with it meanwhile.
`,
  invite: `Usage: xmpp-invites invite create [options]
       xmpp-invites invite list [--all]
       xmpp-invites invite show ID
       xmpp-invites invite revoke ID | --user JID
       xmpp-invites invite tree [JID]
       xmpp-invites invite purge

create     Create an invite and print its URI (and its web link when http.public_url is set).
           The token is shown only now.
  --username U              Only this username may register with it
  --contact USER@DOMAIN     A contact invite from this user (XEP-0379)
  --allow-registration      With --contact: the invitee may also create an account (;ibr=y)
  --reset USER              A password-reset invite for this existing account (default lifetime 1d)
  --group G                 New accounts join group G (repeatable)
  --expires PERIOD          Lifetime, e.g. 7d, 12h, 3600 (default: invite_expiry)
  --uses N                  How many accounts it may create (default 1)
  --note TEXT               A note for admins
list       Pending invites (--all: also expired, revoked and used ones)
show       One invite, by id
revoke     Revoke an invite, by id; --user JID: every invite of that user that could still be used
tree       Who invited whom: every account created or contact invite accepted, under its inviter
           (below JID only, when given)
purge      Delete invites whose expiry has passed

Every invite command takes:
${CONFIG}
  --json           Machine-readable output
`,
  "api-key": `Usage: xmpp-invites api-key create NAME [--read-only]
       xmpp-invites api-key list
       xmpp-invites api-key revoke ID

create     Create a key for the HTTP API; the key is shown only now
  --read-only      The key may read, not create or revoke
list       The API keys (never their secrets)
revoke     Revoke a key, by id

Every api-key command takes:
${CONFIG}
  --json           Machine-readable output
`,
  request: `Usage: xmpp-invites request list [--all]
       xmpp-invites request show ID
       xmpp-invites request approve ID
       xmpp-invites request deny ID

Requests for an account sent from the web page (config registration_requests).
list       Requests waiting for an answer (--all: every request kept)
show       One request, by id
approve    Approve: the requester's private link becomes the registration form for the name
deny       Deny: the requester's link says so

Every request command takes:
${CONFIG}
  --json           Machine-readable output
`,
  redeem: `Usage: xmpp-invites redeem URI --password P --server xmpp://HOST:PORT
                          --anonymous-domain DOMAIN --component JID [--username U] [--json]

Redeem an invite over XMPP as a client would: log in anonymously on DOMAIN at the server, then
register at the component with the invite's token. Handy to check a deployment end to end.

  --username U               The new account's name (optional when the invite fixes one)
  --password P               Its password (or $XMPP_INVITES_PASSWORD, kept out of the process list)
  --server xmpp://HOST:PORT  The server's client port
  --anonymous-domain DOMAIN  A host of that server with anonymous login
  --component JID            The component's JID (or --config PATH: its component.domain)
  --json                     Print {"jid": ...}
`,
  "ejabberd-module": `Usage: xmpp-invites ejabberd-module build --out DIR [--component JID]
                                      [--ejabberd DIR] [--xmpp-include DIR]

Compile the ejabberd module that lets apps redeem invite links on ejabberd's own registration
(mod_xmpp_invites, the counterpart of the Prosody module) for the ejabberd installed here, with
the Erlang compiler that comes with it (erlc), into DIR/mod_xmpp_invites.beam; then print the
configuration lines. Rebuild it after every upgrade of ejabberd.

  --out DIR           Where to write mod_xmpp_invites.beam (created if missing)
  --component JID     The component's JID, for the printed configuration
  --ejabberd DIR      ejabberd's library directory (default: the newest ejabberd-VERSION found,
                      e.g. /usr/lib/x86_64-linux-gnu/ejabberd-24.12)
  --xmpp-include DIR  The include files of ejabberd's xmpp library (default: found next to
                      ejabberd or in /usr/lib/erlang/lib, e.g. p1_xmpp-1.9.4/include)
`,
} as const;

export type CommandName = keyof typeof COMMAND_HELP;

export const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMAND_HELP, name);

export const OVERVIEW = `Usage: xmpp-invites <command> [options]

Commands:
  start                Connect to the XMPP server and serve registrations
  check-config         Validate the configuration, say what it does, warn about unsafe values
  invite create        Create an invite; prints its URI (the token is shown only now)
  invite list          Pending invites (--all: every invite)
  invite show ID       One invite
  invite revoke ID     Revoke an invite (--user JID: all of a user's pending invites)
  invite tree [JID]    Who invited whom
  invite purge         Delete invites whose expiry has passed
  request list         Account requests waiting for an answer (--all: every request)
  request approve ID   Approve an account request (deny ID: deny it)
  api-key create NAME  Create a key for the HTTP API (shown only now)
  api-key list         The API keys
  api-key revoke ID    Revoke an API key
  redeem URI           Redeem an invite over XMPP, as an anonymous client would
  ejabberd-module build --out DIR
                       Compile the ejabberd module that lets apps redeem invite links
  help [COMMAND]       This overview, or one command's options

Options:
  --config PATH        Configuration file (else $XMPP_INVITES_CONFIG, else ./config.json)
  --json               Machine-readable output
  -h, --help           Help (after a command: that command's help)
  -V, --version        The version
`;

/** The package's version, read from the package.json the command was installed with. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return String(pkg.version);
}

/** True when the arguments ask for help rather than for the command itself. */
export const wantsHelp = (args: readonly string[]): boolean => args.some((arg) => arg === "--help" || arg === "-h");
