import { parseArgs } from "node:util";
import { openConfiguredStores } from "../app.js";
import { type ApiKey, ApiKeyService } from "../invites/service/api-keys.js";
import { systemClock } from "../invites/domain/clock.js";
import { iso } from "../invites/service/json.js";
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

export async function runApiKey(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = usage(() => parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true }));
  const config = loadConfig(configPath(values.config));
  const stores = openConfiguredStores(config, { heartbeat: false });
  await stores.ready();
  const keys = new ApiKeyService(stores.apiKeys, systemClock);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    switch (action) {
      case "create": {
        const name = positionals.join(" ");
        if (!name) throw new UsageError("api-key create needs a name, e.g. api-key create portal");
        const { key, secret } = await keys.create(name, { readOnly: values["read-only"] });
        if (values.json) out(JSON.stringify({ ...keyJson(key), key: secret }));
        else {
          out(`API key ${key.id} "${sanitize(key.name)}" created${key.readOnly ? " (read-only)" : ""}:`);
          out(secret);
          out("It is shown only now. Send it as: Authorization: Bearer <key>");
        }
        return 0;
      }
      case "list": {
        const all = await keys.list();
        if (values.json) out(JSON.stringify(all.map(keyJson)));
        else if (all.length === 0) out("No API keys.");
        else for (const key of all) out(`${key.id}  ${key.revokedAt ? "revoked " : key.readOnly ? "read-only" : "read-write"}  ${iso(key.createdAt)}  ${sanitize(key.name)}`);
        return 0;
      }
      case "revoke": {
        const [id, extra] = positionals;
        if (!id || extra !== undefined) throw new UsageError("api-key revoke needs exactly one key id");
        const key = await keys.revoke(id);
        out(values.json ? JSON.stringify(keyJson(key)) : `API key ${key.id} revoked.`);
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown api-key command "${action}"` : "api-key needs a command: create, list or revoke");
    }
  } finally {
    await stores.close();
  }
}
