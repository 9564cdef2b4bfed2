import type { AdapterConfig } from "../config/schema.js";
import type { ServerAdapter } from "./adapter.js";
import { type IqRequester, createXep0133Adapter } from "./xep0133.js";

export interface AdapterDeps {
  readonly xmpp: IqRequester;
  readonly domain: string;
}

export function createAdapter(config: AdapterConfig, deps: AdapterDeps): ServerAdapter {
  switch (config.type) {
    case "xep0133":
      return createXep0133Adapter({ xmpp: deps.xmpp, domain: deps.domain, timeoutMs: config.timeout * 1000 });
    default: {
      const unknown: never = config.type;
      throw new Error(`unknown adapter type ${String(unknown)}`);
    }
  }
}
