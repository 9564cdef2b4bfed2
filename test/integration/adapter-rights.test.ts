// A server that does not let the component run admin commands: registration fails with a clear,
// logged reason, and the invite stays usable for when the operator fixes the server config.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { ProsodyServer } from "../../tools/demo/prosody.js";
import { canLogin, redeemAnonymously } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import type { CapturedLog } from "../helpers/logger.js";

let live: Live;
let server: ProsodyServer;
let app: App;
let logs: CapturedLog;

beforeAll(async () => {
  live = await startLive({ componentAdmin: false });
  ({ server, app, logs } = live);
});

afterAll(() => live?.stop());

describe("XEP-0133 without admin rights (component not in Prosody's admins)", () => {
  it("refuses with wait/internal-server-error and an incident id, logs why, and leaves the invite usable", async () => {
    const { invite, token } = await app.invites.create();
    const outcome = await redeemAnonymously(server, token, "hopeful", "pw-lufepoh-1234567");
    expect(outcome).toMatchObject({ ok: false, type: "wait", condition: "internal-server-error" });
    const incident = /incident ([0-9a-f]+)/.exec(outcome.ok ? "" : outcome.text)?.[1];
    const line = logs.lines().find((l) => l["incident"] === incident);
    expect(line).toMatchObject({ reason: "rejected" });
    expect(String(line?.["detail"])).toMatch(/forbidden.*admin/);
    expect(await app.invites.get(invite.id)).toMatchObject({ uses: 0, pending: 0 });
    expect(await canLogin(server, "hopeful", "pw-lufepoh-1234567")).toBe(false);
  });
});
