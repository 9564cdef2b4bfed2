// The component, built by the composition root, attached to a throwaway Prosody.
import { type App, type AppOverrides, createApp } from "../../src/app.js";
import { parseConfig } from "../../src/config/load.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { type ProsodyOptions, type ProsodyServer, startProsody } from "../../tools/demo/prosody.js";
import { type CapturedLog, captureLog } from "./logger.js";

export interface Live {
  readonly server: ProsodyServer;
  readonly app: App;
  readonly logs: CapturedLog;
  stop(): Promise<void>;
}

export async function startLive(prosody: ProsodyOptions = {}, config: Partial<ConfigInput> = {}, overrides: AppOverrides = {}): Promise<Live> {
  const server = await startProsody(prosody);
  const logs = captureLog("info");
  const app = createApp(parseConfig({
    domain: server.domain,
    component: { service: server.componentService(), domain: server.componentDomain, secret: server.componentSecret },
    database: ":memory:",
    http: { listen: "127.0.0.1:0" },
    ...config,
    // The portal checks passwords on this server's client port.
    portal: { client_service: server.c2sService(), ...config.portal },
  }), logs.log, { backoff: { initialMs: 200, maxMs: 1000 }, ...overrides });
  try {
    await app.start();
  } catch (err) {
    await server.stop();
    throw err;
  }
  return {
    server, app, logs,
    async stop() {
      await app.stop();
      await server.stop();
    },
  };
}
