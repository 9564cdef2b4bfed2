// A person with only an invite link: a real headless Chromium opens the landing page, goes to the
// web form, creates the account, and the new account then logs in over XMPP to the real Prosody.
import { mkdirSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canLogin, rosterOf } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import { rosterStepsDone } from "../helpers/wait.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
let live: Live;
let browser: Browser;
let base: string;

beforeAll(async () => {
  live = await startLive({}, { site_name: "Example Chat" });
  base = live.app.http.url();
  await live.server.registerUser("romeo", "pw-oemor-1234567");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Loopback only: no background traffic to the outside, as the machine has no network.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

afterAll(async () => {
  await browser?.close();
  await live?.stop();
});

describe("web onboarding in a real browser", () => {
  it("landing page (server without bridge: browser first) → registration form → success, then the account logs in over XMPP and is Romeo's contact", async () => {
    const { token, uri } = await live.app.invites.create({ type: "contact", inviter: `romeo@${live.server.domain}`, allowRegistration: true });
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const response = await page.goto(`${base}/invite/${token}`);
    expect(response?.status()).toBe(200);
    // This Prosody has no bridge (discovered): no app is handed a registration it cannot do.
    expect(live.app.bridge.discovery).toBe("absent");
    expect(response?.headers()["link"]).toBeUndefined();
    await expect(page.locator("h1").textContent()).resolves.toContain("invites you to chat on Example Chat");
    await expect(page.getByRole("link", { name: "Open in your app" }).count()).resolves.toBe(0);
    await expect(page.getByText("opens invites directly").count()).resolves.toBe(0);
    expect(await page.getByRole("link", { name: `Add romeo@${live.server.domain} in your app` }).getAttribute("href")).toBe(uri.replace(";ibr=y", ""));
    mkdirSync("test-artifacts", { recursive: true });
    await page.screenshot({ path: "test-artifacts/landing.png", fullPage: true });

    await page.getByRole("link", { name: "Create your account in the browser" }).click();
    await page.getByLabel("Username").fill("juliet");
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Repeat the password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.locator(".error").first().textContent()).resolves.toContain("Password is too short (minimum 10 characters)");
    expect(await page.getByLabel("Username").inputValue()).toBe("juliet");

    await page.getByLabel("Password", { exact: true }).fill("balcony-at-midnight");
    await page.getByLabel("Repeat the password").fill("balcony-at-midnight");
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page.locator("h1").textContent()).resolves.toBe("Your account is ready");
    const text = await page.locator("main").textContent();
    expect(text).toContain(`juliet@${live.server.domain}`);
    expect(text).not.toContain("balcony-at-midnight");
    await page.screenshot({ path: "test-artifacts/success.png", fullPage: true });
    await page.close();

    expect(await canLogin(live.server, "juliet", "balcony-at-midnight")).toBe(true);
    await rosterStepsDone(live.app, `juliet@${live.server.domain}`);
    expect((await rosterOf(live.server, "juliet", "balcony-at-midnight")).get(`romeo@${live.server.domain}`)?.subscription).toBe("both");
    expect((await rosterOf(live.server, "romeo", "pw-oemor-1234567")).get(`juliet@${live.server.domain}`)?.subscription).toBe("both");
  });

  it("an invalid link shows the not-valid page with 404", async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${base}/invite/AAAAAAAAAAAAAAAAAAAAAAAA`);
    expect(response?.status()).toBe(404);
    await expect(page.locator("h1").textContent()).resolves.toBe("This invite is not valid");
    await page.close();
  });
});
