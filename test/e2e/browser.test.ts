// A person with only an invite link: a real headless Chromium opens the landing page, goes to the
// web form, creates the account, and the new account then logs in over XMPP to the real Prosody.
// Then every page, in three languages (one right-to-left): an axe-core audit, a phone viewport,
// no console errors, JavaScript off, and the keyboard alone.
import { mkdirSync } from "node:fs";
import axe from "axe-core";
import { type Browser, type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canLogin, rosterOf } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import { rosterStepsDone } from "../helpers/wait.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
let live: Live;
let browser: Browser;
let base: string;

beforeAll(async () => {
  live = await startLive({}, {
    site_name: "Example Chat",
    terms_url: "https://example.org/terms",
    privacy_url: "https://example.org/privacy",
    // Every page is walked several times from one address: room for that under the limits.
    http: { listen: "127.0.0.1:0", rate_limit: { max: 500, window: 600 } },
    registration_requests: { enabled: true, rate_limit: { max: 100, window: 3600 } },
  });
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
    // The site has terms and a privacy policy: consent is asked for, in the same round.
    await expect(page.locator(".error").nth(1).textContent()).resolves.toBe("Please accept to continue.");
    expect(await page.getByLabel("Username").inputValue()).toBe("juliet");

    await page.getByLabel("Password", { exact: true }).fill("balcony-at-midnight");
    await page.getByLabel("Repeat the password").fill("balcony-at-midnight");
    await page.getByRole("checkbox", { name: /I accept the terms of service/ }).check();
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

// axe-core's own build for injection into a page.
const AXE_SOURCE = axe.source;
const LANGUAGES = [
  { lang: "en", dir: "ltr" },
  { lang: "de", dir: "ltr" },
  { lang: "ar", dir: "rtl" },
] as const;

interface Audited {
  readonly name: string;
  readonly violations: string[];
  readonly consoleErrors: string[];
  readonly overflow: boolean;
  readonly lang: string | null;
  readonly dir: string | null;
}

/** Every page a visitor can reach, as [name, how to get there] in the context's language. */
async function walk(context: BrowserContext, lang: string, visit: (name: string, page: Page) => Promise<void>): Promise<void> {
  const domain = live.server.domain;
  const open = async (name: string, url: string, expectStatus = 200) => {
    const page = await context.newPage();
    const response = await page.goto(`${base}${url}${url.includes("?") ? "&" : "?"}lang=${lang}`);
    expect(response?.status(), name).toBe(expectStatus);
    await visit(name, page);
    return page;
  };
  const close = async (page: Page) => page.close();

  await close(await open("front page with the request form", "/"));
  const account = await live.app.invites.create();
  await close(await open("landing page (account invite)", `/invite/${account.token}`));
  const contact = await live.app.invites.create({ type: "contact", inviter: `romeo@${domain}`, allowRegistration: true });
  await close(await open("landing page (contact invite)", `/invite/${contact.token}`));
  const reset = await live.app.invites.create({ type: "reset", username: "romeo" });
  await close(await open("landing page (password reset)", `/invite/${reset.token}`));
  await close(await open("password reset form", `/invite/${reset.token}/register`));
  await close(await open("invalid invite", "/invite/AAAAAAAAAAAAAAAAAAAAAAAA", 404));

  const form = await open("registration form", `/invite/${account.token}/register`);
  await form.locator("#username").fill(`a11y-${lang}`);
  await form.locator("#password").fill("short");
  await form.locator("#confirm").fill("short");
  await form.locator("button[type=submit]").click();
  await visit("registration form with errors", form);
  await form.locator("#password").fill("lantern-over-the-harbour");
  await form.locator("#confirm").fill("lantern-over-the-harbour");
  await form.locator("#consent").check();
  await form.locator("button[type=submit]").click();
  await expect(form.locator("h1").count()).resolves.toBe(1);
  await visit("success page", form);
  await close(form);

  const home = await context.newPage();
  await home.goto(`${base}/?lang=${lang}`);
  await home.locator("#username").fill(`asker-${lang}`);
  await home.locator("#message").fill("Hello");
  // The form posts, then the browser follows the redirect to the private status link: wait for it.
  await Promise.all([home.waitForURL(/\/request\/[^/?]+\?sent=1$/), home.locator("form[action='/request'] button[type=submit]").click()]);
  await visit("request sent, waiting", home);
  const statusUrl = home.url().replace(/\?.*$/, "");
  const request = (await live.app.requests.list()).find((r) => r.username === `asker-${lang}`);
  await live.app.requests.approve(request?.id ?? "", "admin@example.org");
  await home.goto(statusUrl);
  await visit("request approved: the registration form", home);
  await close(home);

  const denied = await context.newPage();
  await denied.goto(`${base}/?lang=${lang}`);
  await denied.locator("#username").fill(`denied-${lang}`);
  await Promise.all([denied.waitForURL(/\/request\/[^/?]+\?sent=1$/), denied.locator("form[action='/request'] button[type=submit]").click()]);
  const deniedRequest = (await live.app.requests.list()).find((r) => r.username === `denied-${lang}`);
  await live.app.requests.deny(deniedRequest?.id ?? "", "admin@example.org");
  await denied.reload();
  await visit("request denied", denied);
  await close(denied);
}

describe("every page, in three languages: accessible, on a phone, without errors", () => {
  for (const { lang, dir } of LANGUAGES) {
    it(`${lang} (${dir}): axe-core finds no serious or critical violation, nothing overflows a phone screen, no console errors`, async () => {
      // The audit script is injected, so this context alone lets it past the pages' CSP.
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true, userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36" });
      const results: Audited[] = [];
      const consoleErrors = new Map<Page, string[]>();
      context.on("page", (page) => {
        const errors: string[] = [];
        let documentStatus = 0;
        consoleErrors.set(page, errors);
        page.on("console", (message) => {
          // Chromium logs a page's own 4xx status (the invalid-invite 404, a form's 422) as a
          // console error; those statuses are by design. Anything else counts.
          if (message.type() === "error" && !message.text().includes(`status of ${documentStatus} `)) errors.push(message.text());
        });
        page.on("pageerror", (error) => errors.push(error.message));
        page.on("response", (response) => {
          if (response.request().resourceType() === "document") documentStatus = response.status();
          else if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
        });
      });
      await walk(context, lang, async (name, page) => {
        await page.evaluate(AXE_SOURCE);
        // Run in the page (strings: these tests are type-checked without the DOM library).
        const audit = await page.evaluate<{ violations: string[]; passed: number }>(`axe.run(document, { resultTypes: ["violations"] }).then((result) => ({
          violations: result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id + ": " + JSON.stringify(v.nodes.map((n) => n.target))),
          passed: result.passes.length,
        }))`);
        // The audit really ran its rules on the page (a script blocked by CSP would pass nothing).
        expect(audit.passed, name).toBeGreaterThan(10);
        const violations = audit.violations;
        const layout = await page.evaluate<{ overflow: boolean; lang: string | null; dir: string | null }>(`({
          overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1,
          lang: document.documentElement.getAttribute("lang"),
          dir: document.documentElement.getAttribute("dir"),
        })`);
        results.push({ name, violations, consoleErrors: [...(consoleErrors.get(page) ?? [])], ...layout });
      });
      await context.close();
      expect(results.length).toBe(12);
      for (const result of results) {
        expect({ page: result.name, violations: result.violations, consoleErrors: result.consoleErrors, overflow: result.overflow, lang: result.lang, dir: result.dir })
          .toEqual({ page: result.name, violations: [], consoleErrors: [], overflow: false, lang, dir });
      }
    });
  }

  it("with JavaScript off, the picker, the landing page, the form and the request form all work", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const { token } = await live.app.invites.create();
    await page.goto(`${base}/invite/${token}`);
    await page.getByRole("navigation", { name: "Languages" }).getByRole("link", { name: "Deutsch" }).click();
    await expect(page.locator("html").getAttribute("lang")).resolves.toBe("de");
    await page.getByRole("link", { name: "Konto im Browser erstellen" }).click();
    await page.getByLabel("Benutzername").fill("nojs");
    await page.getByLabel("Passwort", { exact: true }).fill("quiet-library-lamp");
    await page.getByLabel("Passwort wiederholen").fill("quiet-library-lamp");
    await page.getByRole("checkbox").check();
    await page.getByRole("button", { name: "Konto erstellen" }).click();
    await expect(page.locator("h1").textContent()).resolves.toBe("Dein Konto ist bereit");
    // The cookie keeps the choice on the next page.
    await page.goto(`${base}/`);
    await expect(page.locator("html").getAttribute("lang")).resolves.toBe("de");
    await page.getByLabel("Gewünschter Benutzername").fill("nojs-asker");
    await page.getByRole("button", { name: "Antrag senden" }).click();
    await expect(page.locator("h1").textContent()).resolves.toBe("Dein Antrag wartet auf eine Antwort");
    await context.close();
    expect(await canLogin(live.server, "nojs", "quiet-library-lamp")).toBe(true);
  });

  it("with the keyboard alone: from the landing page through the form to the account", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const { token } = await live.app.invites.create();
    await page.goto(`${base}/invite/${token}?lang=en`);
    const focused = () => page.evaluate<string>(`document.activeElement?.textContent?.trim() ?? ""`);
    // Tab until the browser registration link has focus, then follow it with Enter.
    let steps = 0;
    while ((await focused()) !== "Create your account in the browser" && steps++ < 60) await page.keyboard.press("Tab");
    expect(await focused()).toBe("Create your account in the browser");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/register/);
    const focusedId = () => page.evaluate<string>(`document.activeElement?.id ?? ""`);
    steps = 0;
    while ((await focusedId()) !== "username" && steps++ < 30) await page.keyboard.press("Tab");
    await page.keyboard.type("keyboard");
    await page.keyboard.press("Tab");
    expect(await focusedId()).toBe("password");
    await page.keyboard.type("tab-tab-enter-42");
    await page.keyboard.press("Tab");
    expect(await focusedId()).toBe("confirm");
    await page.keyboard.type("tab-tab-enter-42");
    // Past the links inside the consent label, to the checkbox.
    steps = 0;
    while ((await focusedId()) !== "consent" && steps++ < 10) await page.keyboard.press("Tab");
    await page.keyboard.press("Space");
    const focusedTag = () => page.evaluate<string>(`document.activeElement?.tagName ?? ""`);
    steps = 0;
    while ((await focusedTag()) !== "BUTTON" && steps++ < 10) await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/register/);
    await expect(page.locator("h1").textContent()).resolves.toBe("Your account is ready");
    await context.close();
    expect(await canLogin(live.server, "keyboard", "tab-tab-enter-42")).toBe(true);
  });
});
