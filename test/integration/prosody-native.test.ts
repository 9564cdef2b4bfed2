// Side by side with Prosody 0.12's own invites (mod_invites + mod_invites_register on c2s), on the
// same server: where Prosody is right the component answers the same, where it is wrong it does not.
// Reference: prosody-invites.md §2.3, §3.3 and §6 (#1, #2, #4).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import type { ProsodyServer } from "../../tools/demo/prosody.js";
import { canLogin, redeemAnonymously } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import { openRawStream, preauthPayload, registerPayload } from "../helpers/raw-stream.js";
import { rawClient } from "../faults/support.js";

let live: Live;
let server: ProsodyServer;
let app: App;

async function nativeToken(username?: string): Promise<string> {
  const target = username ? `${username}@${server.domain}` : server.domain;
  const { stdout } = await server.prosodyctl(["shell"], `invite:create_account("${target}")\n`);
  const token = /preauth=([A-Za-z0-9_-]+)/.exec(stdout)?.[1];
  if (!token) throw new Error(`no token in prosodyctl output: ${stdout}`);
  return token;
}

beforeAll(async () => {
  live = await startLive({ nativeInvites: true });
  ({ server, app } = live);
});

afterAll(() => live?.stop());

describe("Prosody's native invite registration vs. the component", () => {
  it("§3.3: the same error for a bad token (cancel/forbidden, same text)", async () => {
    const stream = await openRawStream(server.c2sPort, server.domain);
    const native = await stream.iq("p", preauthPayload("AAAAAAAAAAAAAAAAAAAAAAAA"));
    stream.close();
    expect(native.type).toBe("error");
    expect(native.xml).toMatch(/<forbidden/);
    expect(native.xml).toContain("The invite token is invalid or expired");
    expect(await redeemAnonymously(server, "AAAAAAAAAAAAAAAAAAAAAAAA", "nobody1", "pw-gnol-x-1234567")).toMatchObject({
      ok: false, type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired",
    });
  });

  it("§3.3: the same error without a token in invite-only mode", async () => {
    const stream = await openRawStream(server.c2sPort, server.domain);
    const native = await stream.iq("r", registerPayload("notoken", "pw-notoken"));
    stream.close();
    expect(native.xml).toMatch(/<not-acceptable/);
    expect(native.xml).toContain("Registration on this server is through invitation only");
  });

  /** The answer as a person sees it: type, condition and text. */
  const answerOf = (xml: string) => ({
    type: /<error[^>]*type=['"](\w+)['"]/.exec(xml)?.[1],
    condition: /<([a-z-]+) xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]\/>/.exec(xml)?.[1],
    text: /<text[^>]*>([^<]*)<\/text>/.exec(xml)?.[1],
  });

  async function componentAnswers(steps: Array<{ id: string; payload: string }>): Promise<Array<ReturnType<typeof answerOf>>> {
    const client = await rawClient(server);
    try {
      const answers = [];
      for (const step of steps) {
        const reply = client.reply(step.id, 10_000);
        client.send(`<iq type='set' id='${step.id}' to='${server.componentDomain}'>${step.payload}</iq>`);
        answers.push(answerOf((await reply)?.toString() ?? ""));
      }
      return answers;
    } finally {
      client.close();
    }
  }

  async function nativeAnswers(steps: Array<{ id: string; payload: string }>): Promise<Array<ReturnType<typeof answerOf>>> {
    const stream = await openRawStream(server.c2sPort, server.domain);
    try {
      const answers = [];
      for (const step of steps) answers.push(answerOf((await stream.iq(step.id, step.payload)).xml));
      return answers;
    } finally {
      stream.close();
    }
  }

  it("§3.3: invalid token, then a password containing the username: the same answers, the invite refusal before any password rule", async () => {
    const steps = [
      { id: "p", payload: preauthPayload("AAAAAAAAAAAAAAAAAAAAAAAA") },
      { id: "r", payload: registerPayload("carol", "carol-and-more-123") },
    ];
    const native = await nativeAnswers(steps);
    expect(native).toEqual([
      { type: "cancel", condition: "forbidden", text: "The invite token is invalid or expired" },
      { type: "modify", condition: "not-acceptable", text: "Registration on this server is through invitation only" },
    ]);
    expect(await componentAnswers(steps)).toEqual(native);
    // The token inside the registration itself gets the token's refusal, not the password's.
    expect(await componentAnswers([{ id: "i", payload: registerPayload("carol", "carol-and-more-123").replace("<username>", `${preauthPayload("AAAAAAAAAAAAAAAAAAAAAAAA")}<username>`) }]))
      .toEqual([native[0]]);
  });

  it("§3.3: no token and a password containing the username: the same answer (invitation only)", async () => {
    const steps = [{ id: "r", payload: registerPayload("dave", "dave-and-more-1234") }];
    const native = await nativeAnswers(steps);
    expect(native).toEqual([{ type: "modify", condition: "not-acceptable", text: "Registration on this server is through invitation only" }]);
    expect(await componentAnswers(steps)).toEqual(native);
  });

  it("§6 #1: Prosody registers two accounts with one single-use token on one stream; the component one", async () => {
    const token = await nativeToken();
    const stream = await openRawStream(server.c2sPort, server.domain);
    expect((await stream.iq("p", preauthPayload(token))).type).toBe("result");
    expect((await stream.iq("r1", registerPayload("twice1", "pw-twice"))).type).toBe("result");
    expect((await stream.iq("r2", registerPayload("twice2", "pw-twice"))).type).toBe("result");
    stream.close();
    expect(await canLogin(server, "twice2", "pw-twice")).toBe(true); // Prosody's bug, reproduced

    const { token: ours } = app.invites.create();
    expect((await redeemAnonymously(server, ours, "once1", "pw-gnol-once-1234567")).ok).toBe(true);
    expect((await redeemAnonymously(server, ours, "once2", "pw-gnol-once-1234567")).ok).toBe(false);
    expect(await canLogin(server, "once2", "pw-gnol-once-1234567")).toBe(false);
  });

  it("§6 #2: parallel streams spend one Prosody token several times; the component's once", async () => {
    const token = await nativeToken();
    const streams = await Promise.all(Array.from({ length: 5 }, () => openRawStream(server.c2sPort, server.domain)));
    const preauths = await Promise.all(streams.map((s) => s.iq("p", preauthPayload(token))));
    expect(preauths.every((reply) => reply.type === "result")).toBe(true);
    const registrations = await Promise.all(streams.map((s, i) => s.iq("r", registerPayload(`nativerace${i}`, "pw-gnol-race-1234567"))));
    for (const s of streams) s.close();
    expect(registrations.filter((reply) => reply.type === "result").length).toBeGreaterThan(1);

    const { token: ours } = app.invites.create();
    const outcomes = await Promise.all(Array.from({ length: 5 }, (_, i) => redeemAnonymously(server, ours, `ourrace${i}`, "pw-gnol-race-1234567")));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
  });

  it("§6 #4: a fixed-username Prosody invite registers another name; the component refuses it", async () => {
    const token = await nativeToken("fixedzoe");
    const stream = await openRawStream(server.c2sPort, server.domain);
    await stream.iq("p", preauthPayload(token));
    expect((await stream.iq("r", registerPayload("notzoe", "pw-notzoe"))).type).toBe("result");
    stream.close();

    const { token: ours } = app.invites.create({ username: "ourzoe" });
    expect(await redeemAnonymously(server, ours, "notourzoe", "pw-gnol-1234567")).toMatchObject({ ok: false, condition: "not-acceptable" });
  });
});
