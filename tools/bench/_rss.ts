import { freePort } from "../demo/ports.js";
import { startProsody } from "../demo/prosody.js";
import { startComponentProcess } from "./live.js";
import { rssMb } from "./stats.js";
const server = await startProsody({ bridge: true });
try {
  for (const flags of (process.env["FLAGS"] ?? "").split("|")) {
    process.env["NODE_OPTIONS"] = flags;
    const c = await startComponentProcess(server, await freePort(), "dist/cli/main.js");
    const t0 = Date.now();
    const out: string[] = [];
    for (const at of (process.env["AT"] ?? "2,5,10,20").split(",").map(Number)) {
      await new Promise((r) => setTimeout(r, at * 1000 - (Date.now() - t0)));
      out.push(`${at}s ${rssMb(c.pid).toFixed(1)}`);
    }
    console.log(JSON.stringify(flags), out.join("  "));
    await c.stop();
  }
} finally { await server.stop(); }
