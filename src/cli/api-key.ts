import { parseArgs } from "node:util";
import { openStores } from "../invites/sqlite/index.js";
import { type ApiKey, ApiKeyService } from "../invites/api-keys.js";
import { systemClock } from "../invites/clock.js";
import { iso } from "../invites/json.js";
import { configPath, loadConfig } from "../config/load.js";
import { sanitize } from "./format.js";
import { UsageError, usage } from "./usage.js";

const OPTIONS = {
  config: { type: "string" },
  json: { type: "boolean", default: false },
  "read-only": { type: "boolean", default: false },
} as const;

const keyJson = (key: ApiKey) => ({
  id: key.id,
  name: key.name,
  read_only: key.readOnly,
  created: iso(key.createdAt),
  last_used: key.lastUsedAt === null ? null : iso(key.lastUsedAt),
  revoked: key.revokedAt === null ? null : iso(key.revokedAt),
});

export function runApiKey(args: string[]): number {
  const [action, ...rest] = args;
  const { values, positionals } = usage(() => parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true }));
  const config = loadConfig(configPath(values.config));
  const { db, apiKeys } = openStores(config.database);
  const keys = new ApiKeyService(apiKeys, systemClock);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    switch (action) {
      case "create": {
        const name = positionals.join(" ");
        if (!name) throw new UsageError("api-key create needs a name, e.g. api-key create portal");
        const { key, secret } = keys.create(name, { readOnly: values["read-only"] });
        if (values.json) out(JSON.stringify({ ...keyJson(key), key: secret }));
        else {
          out(`API key ${key.id} "${sanitize(key.name)}" created${key.readOnly ? " (read-only)" : ""}:`);
          out(secret);
          out("It is shown only now. Send it as: Authorization: Bearer <key>");
        }
        return 0;
      }
      case "list": {
        const all = keys.list();
        if (values.json) out(JSON.stringify(all.map(keyJson)));
        else if (all.length === 0) out("No API keys.");
        else for (const key of all) out(`${key.id}  ${key.revokedAt ? "revoked " : key.readOnly ? "read-only" : "read-write"}  ${iso(key.createdAt)}  ${sanitize(key.name)}`);
        return 0;
      }
      case "revoke": {
        const [id, extra] = positionals;
        if (!id || extra !== undefined) throw new UsageError("api-key revoke needs exactly one key id");
        const key = keys.revoke(id);
        out(values.json ? JSON.stringify(keyJson(key)) : `API key ${key.id} revoked.`);
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown api-key command "${action}"` : "api-key needs a command: create, list or revoke");
    }
  } finally {
    db.close();
  }
}
