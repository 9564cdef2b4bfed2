// xmpp-invites request list|show|approve|deny: account requests from the shell.
import { parseArgs } from "node:util";
import { accountRequests, openInvites, standaloneAccounts } from "../app.js";
import { configPath, loadConfig } from "../config/load.js";
import { type RequestListing, requestJson } from "../invites/requests/account-requests.js";
import { systemClock } from "../invites/domain/clock.js";
import { iso } from "../invites/service/json.js";
import { sanitize } from "./format.js";
import { UsageError, usage } from "./usage.js";
import { createLogger } from "../log.js";

/** Said after a request whose name is no longer free (or could not be checked from the shell). */
const TAKEN_NOTE: Record<string, string> = { true: "  [name taken: approval refused]", unknown: "  [name not checked with the server]" };

const OPTIONS = {
  config: { type: "string" },
  json: { type: "boolean", default: false },
  all: { type: "boolean", default: false },
} as const;

export async function runRequest(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = usage(() => parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true }));
  const config = loadConfig(configPath(values.config));
  const { stores, invites } = await openInvites(config);
  const requests = accountRequests(config, stores, invites, systemClock, undefined, standaloneAccounts(config, createLogger("warn")));
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const onlyId = () => {
    const [id, extra] = positionals;
    if (!id || extra !== undefined) throw new UsageError(`request ${action ?? ""} needs exactly one request id`);
    return id;
  };
  const line = ({ request, state, taken }: RequestListing) =>
    `${request.id}  ${state.padEnd(10)}  ${iso(request.createdAt)}  ${sanitize(request.username)}${request.message === null ? "" : `  "${sanitize(request.message)}"`}${TAKEN_NOTE[String(taken)] ?? ""}`;
  try {
    switch (action) {
      case "list": {
        if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
        const list = await requests.overview({ all: values.all, limit: 1000 });
        if (values.json) out(JSON.stringify(list.map(requestJson)));
        else if (list.length === 0) out(values.all ? "No account requests." : "No account requests waiting.");
        else for (const request of list) out(line(request));
        return 0;
      }
      case "show": {
        const listing = await requests.describe(await requests.get(onlyId()));
        out(values.json ? JSON.stringify(requestJson(listing)) : line(listing));
        return 0;
      }
      case "approve":
      case "deny": {
        const request = action === "approve" ? await requests.approve(onlyId(), "cli") : await requests.deny(onlyId(), "cli");
        if (values.json) out(JSON.stringify(requestJson(await requests.describe(request))));
        else out(action === "approve" ? `Request ${request.id} approved: ${sanitize(request.username)} can now create the account from the requester's link.` : `Request ${request.id} denied.`);
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown request command "${action}"` : "request needs a command: list, show, approve or deny");
    }
  } finally {
    await stores.close();
  }
}
