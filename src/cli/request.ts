// xmpp-invites request list|show|approve|deny: account requests from the shell.
import { parseArgs } from "node:util";
import { accountRequests, openInvites } from "../app.js";
import { configPath, loadConfig } from "../config/load.js";
import { type AccountRequest, requestJson, requestState } from "../invites/requests/account-requests.js";
import { systemClock } from "../invites/domain/clock.js";
import { iso } from "../invites/service/json.js";
import { sanitize } from "./format.js";
import { UsageError, usage } from "./usage.js";

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
  const requests = accountRequests(config, stores, invites, systemClock);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const now = systemClock.now();
  const onlyId = () => {
    const [id, extra] = positionals;
    if (!id || extra !== undefined) throw new UsageError(`request ${action ?? ""} needs exactly one request id`);
    return id;
  };
  const line = (request: AccountRequest) =>
    `${request.id}  ${requestState(request, now).padEnd(8)}  ${iso(request.createdAt)}  ${sanitize(request.username)}${request.message === null ? "" : `  "${sanitize(request.message)}"`}`;
  try {
    switch (action) {
      case "list": {
        if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
        const list = await requests.list({ all: values.all, limit: 1000 });
        if (values.json) out(JSON.stringify(list.map((request) => requestJson(request, now))));
        else if (list.length === 0) out(values.all ? "No account requests." : "No account requests waiting.");
        else for (const request of list) out(line(request));
        return 0;
      }
      case "show": {
        const request = await requests.get(onlyId());
        out(values.json ? JSON.stringify(requestJson(request, now)) : line(request));
        return 0;
      }
      case "approve":
      case "deny": {
        const request = action === "approve" ? await requests.approve(onlyId(), "cli") : await requests.deny(onlyId(), "cli");
        if (values.json) out(JSON.stringify(requestJson(request, now)));
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
