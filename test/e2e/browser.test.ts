// A person with only an invite link: a real headless Chromium opens the landing page, goes to the
// web form, creates the account, and the new account then logs in over XMPP to the real Prosody.
// Then every page, in three languages (one right-to-left): an axe-core audit, a phone viewport,
// no console errors, JavaScript off, and the keyboard alone.
import { mkdirSync } from "node:fs";
import axe from "axe-core";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canLogin, rosterOf } from "../helpers/clients.js";
import { type Live, startLive } from "../helpers/live.js";
import { rosterStepsDone } from "../helpers/wait.js";

const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";
const ADMIN_PASSWORD = "pw-nimda-7654321";
const BENVOLIO_PASSWORD = "pw-oilovneb-2468";
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
    admins: ["admin@example.test"],
  });
  base = live.app.http.url();
  await live.server.registerUser("romeo", "pw-oemor-1234567");
  await live.server.registerUser("admin", ADMIN_PASSWORD);
  // The portal's user: invites of their own, apart from Romeo's (invite_limits count per user and day).
  await live.server.registerUser("benvolio", BENVOLIO_PASSWORD);
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
    await Promise.all([page.waitForURL(/\/done\//), page.getByRole("button", { name: "Create account" }).click()]);
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

/** Opens `url` in the walk's language on the walk's one tab (a tab reused is audited much faster). */
async function open(page: Page, lang: string, url: string, expectStatus = 200): Promise<void> {
  const response = await page.goto(`${base}${url}${url.includes("?") ? "&" : "?"}lang=${lang}`);
  expect(response?.status(), url).toBe(expectStatus);
}

/** Sends the front page's account request for `username` and follows it to its private status link. */
async function sendRequest(page: Page, lang: string, username: string, message?: string): Promise<string> {
  await open(page, lang, "/");
  await page.locator("#username").fill(username);
  if (message !== undefined) await page.locator("#message").fill(message);
  // The form posts, then the browser follows the redirect to the private status link: wait for it.
  await Promise.all([page.waitForURL(/\/request\/[^/?]+\?sent=1$/), page.locator("form[action='/request'] button[type=submit]").click()]);
  const request = (await live.app.requests.list()).find((r) => r.username === username);
  expect(request, username).toBeDefined();
  return request?.id ?? "";
}

/** Signs in to the portal with the sign-in form (the server checks the password) and lands on /account. */
async function portalSignIn(page: Page, lang: string, username: string, password: string): Promise<void> {
  await open(page, lang, "/account/login");
  await page.locator("#username").fill(username);
  await page.locator("#password").fill(password);
  await Promise.all([page.waitForURL(/\/account$/), page.locator("form[action='/account/login'] button[type=submit]").click()]);
}

/** Creates a contact invite with the account page's form; answers its token, from the link shown. */
async function portalInvite(page: Page): Promise<string> {
  await page.locator("form[action='/account/invites'] button[type=submit]").click();
  const link = await page.locator("#invite-link").inputValue();
  expect(link).toMatch(/\/invite\/[A-Za-z0-9]{24}$/);
  return link.slice(-24);
}

type Walk = (page: Page, lang: string, audit: (name: string) => Promise<void>) => Promise<void>;

/**
 * Every page a visitor can reach, in walks of two or three pages: one test per walk and language
 * keeps each test short on a busy machine, and together they audit every page (the portal's too)
 * in every language. `pages` names what a walk must audit, in order.
 */
const WALKS: ReadonlyArray<{ readonly title: string; readonly pages: readonly string[]; readonly walk: Walk }> = [
  {
    title: "front page, landing page, invalid invite",
    pages: ["front page with the request form", "landing page (account invite)", "invalid invite"],
    async walk(page, lang, audit) {
      await open(page, lang, "/");
      await audit("front page with the request form");
      const account = await live.app.invites.create();
      await open(page, lang, `/invite/${account.token}`);
      await audit("landing page (account invite)");
      await open(page, lang, "/invite/AAAAAAAAAAAAAAAAAAAAAAAA", 404);
      await audit("invalid invite");
    },
  },
  {
    title: "contact invite and password reset",
    pages: ["landing page (contact invite)", "landing page (password reset)", "password reset form"],
    async walk(page, lang, audit) {
      const contact = await live.app.invites.create({ type: "contact", inviter: `romeo@${live.server.domain}`, allowRegistration: true });
      await open(page, lang, `/invite/${contact.token}`);
      await audit("landing page (contact invite)");
      const reset = await live.app.invites.create({ type: "reset", username: "romeo" });
      await open(page, lang, `/invite/${reset.token}`);
      await audit("landing page (password reset)");
      await open(page, lang, `/invite/${reset.token}/register`);
      await audit("password reset form");
    },
  },
  {
    title: "registration form, its errors, success",
    pages: ["registration form", "registration form with errors", "success page"],
    async walk(page, lang, audit) {
      const account = await live.app.invites.create();
      await open(page, lang, `/invite/${account.token}/register`);
      await audit("registration form");
      await page.locator("#username").fill(`a11y-${lang}`);
      await page.locator("#password").fill("short");
      await page.locator("#confirm").fill("short");
      await page.locator("button[type=submit]").click();
      await audit("registration form with errors");
      await page.locator("#password").fill("lantern-over-the-harbour");
      await page.locator("#confirm").fill("lantern-over-the-harbour");
      await page.locator("#consent").check();
      await Promise.all([page.waitForURL(/\/done\//), page.locator("button[type=submit]").click()]);
      await expect(page.locator("h1").count()).resolves.toBe(1);
      await audit("success page");
    },
  },
  {
    title: "account request sent, approved, denied",
    pages: ["request sent, waiting", "request approved: the registration form", "request denied"],
    async walk(page, lang, audit) {
      const approved = await sendRequest(page, lang, `asker-${lang}`, "Hello");
      await audit("request sent, waiting");
      const statusUrl = page.url().replace(/\?.*$/, "");
      await live.app.requests.approve(approved, "admin@example.org");
      await page.goto(statusUrl);
      await audit("request approved: the registration form");
      const denied = await sendRequest(page, lang, `denied-${lang}`);
      await live.app.requests.deny(denied, "admin@example.org");
      await page.reload();
      await audit("request denied");
    },
  },
  {
    title: "portal: sign-in refused, account page, new invite",
    pages: ["portal sign-in, refused", "portal account page", "portal new invite: link, QR code, message"],
    async walk(page, lang, audit) {
      await open(page, lang, "/account/login");
      await page.locator("#username").fill("benvolio");
      await page.locator("#password").fill("not-his-password");
      await page.locator("form[action='/account/login'] button[type=submit]").click();
      await expect(page.locator(".alert").count()).resolves.toBe(1);
      await audit("portal sign-in, refused");
      await page.locator("#password").fill(BENVOLIO_PASSWORD);
      await Promise.all([page.waitForURL(/\/account$/), page.locator("form[action='/account/login'] button[type=submit]").click()]);
      await audit("portal account page");
      const token = await portalInvite(page);
      expect((await live.app.invites.validate(token)).ok).toBe(true);
      await audit("portal new invite: link, QR code, message");
    },
  },
  {
    title: "portal: revoke, sign out",
    pages: ["portal account page, invite revoked", "portal signed out"],
    async walk(page, lang, audit) {
      await portalSignIn(page, lang, "benvolio", BENVOLIO_PASSWORD);
      const token = await portalInvite(page);
      const invite = await live.app.invites.validate(token);
      if (!invite.ok) throw new Error("the new invite is not valid");
      await open(page, lang, "/account");
      await Promise.all([page.waitForURL(/revoked=1$/), page.locator(`form[action='/account/invites/${invite.invite.id}/revoke'] button`).click()]);
      // Its link is dead at once.
      expect((await live.app.invites.validate(token)).ok).toBe(false);
      await audit("portal account page, invite revoked");
      await Promise.all([page.waitForURL(/out=1$/), page.locator("form[action='/account/logout'] button").click()]);
      await audit("portal signed out");
    },
  },
  {
    title: "portal admin: a waiting request approved",
    pages: ["portal admin page with a waiting request", "portal admin: request approved"],
    async walk(page, lang, audit) {
      const { request } = await live.app.requests.submit({ username: `portal-asker-${lang}`, message: "Hello" });
      await portalSignIn(page, lang, "admin", ADMIN_PASSWORD);
      await open(page, lang, "/admin");
      await audit("portal admin page with a waiting request");
      await Promise.all([page.waitForURL(/approved=/), page.locator(`form[action='/admin/requests/${request.id}/approve'] button`).click()]);
      expect((await live.app.requests.get(request.id)).status).toBe("approved");
      await audit("portal admin: request approved");
    },
  },
];

/** Runs axe-core in the page and reads its layout; `errors` are the console errors since the last audit. */
async function auditPage(page: Page, name: string, errors: string[]): Promise<Audited> {
  await page.evaluate(AXE_SOURCE);
  // Run in the page (strings: these tests are type-checked without the DOM library).
  const audit = await page.evaluate<{ violations: string[]; passed: number }>(`axe.run(document, { resultTypes: ["violations"] }).then((result) => ({
    violations: result.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id + ": " + JSON.stringify(v.nodes.map((n) => n.target))),
    passed: result.passes.length,
  }))`);
  // The audit really ran its rules on the page (a script blocked by CSP would pass nothing).
  expect(audit.passed, name).toBeGreaterThan(10);
  const layout = await page.evaluate<{ overflow: boolean; lang: string | null; dir: string | null }>(`({
    overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1,
    lang: document.documentElement.getAttribute("lang"),
    dir: document.documentElement.getAttribute("dir"),
  })`);
  return { name, violations: audit.violations, consoleErrors: errors.splice(0), ...layout };
}

/** Collects the tab's console errors, page errors and failed subresources into `errors`. */
function watchErrors(page: Page, errors: string[]): void {
  let documentStatus = 0;
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
}

describe("every page, in three languages: accessible, on a phone, without errors", () => {
  for (const { lang, dir } of LANGUAGES) {
    for (const { title, pages, walk } of WALKS) {
      it(`${lang} (${dir}), ${title}: axe-core finds no serious or critical violation, nothing overflows a phone screen, no console errors`, async () => {
        // The audit script is injected, so this context alone lets it past the pages' CSP.
        const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true, userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36" });
        const page = await context.newPage();
        const errors: string[] = [];
        watchErrors(page, errors);
        const results: Audited[] = [];
        await walk(page, lang, async (name) => {
          results.push(await auditPage(page, name, errors));
        });
        await context.close();
        expect(results.map((result) => result.name)).toEqual(pages);
        for (const result of results) {
          expect({ page: result.name, violations: result.violations, consoleErrors: result.consoleErrors, overflow: result.overflow, lang: result.lang, dir: result.dir })
            .toEqual({ page: result.name, violations: [], consoleErrors: [], overflow: false, lang, dir });
        }
        // Nor after the last page.
        expect(errors).toEqual([]);
      });
    }
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
    await Promise.all([page.waitForURL(/\/done\//), page.getByRole("button", { name: "Konto erstellen" }).click()]);
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

  it("the portal with JavaScript off and the keyboard alone: sign in, create an invite, sign out", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/account/login?lang=en`);
    const focusedId = () => page.evaluate<string>(`document.activeElement?.id ?? ""`);
    const focusedText = () => page.evaluate<string>(`document.activeElement?.textContent?.trim() ?? ""`);
    const tabTo = async (done: () => Promise<boolean>) => {
      for (let steps = 0; !(await done()) && steps < 60; steps++) await page.keyboard.press("Tab");
      expect(await done()).toBe(true);
    };
    await tabTo(async () => (await focusedId()) === "username");
    await page.keyboard.type("benvolio");
    await page.keyboard.press("Tab");
    expect(await focusedId()).toBe("password");
    await page.keyboard.type(BENVOLIO_PASSWORD);
    await Promise.all([page.waitForURL(/\/account$/), page.keyboard.press("Enter")]);
    await tabTo(async () => (await focusedText()) === "Create an invite");
    await Promise.all([page.waitForURL(/\/account\/invites$/), page.keyboard.press("Enter")]);
    await expect(page.locator("h1").textContent()).resolves.toBe("Your invite is ready");
    expect(await page.locator("#invite-link").inputValue()).toMatch(/\/invite\/[A-Za-z0-9]{24}$/);
    await tabTo(async () => (await focusedText()) === "Back");
    await Promise.all([page.waitForURL(/\/account$/), page.keyboard.press("Enter")]);
    await tabTo(async () => (await focusedText()) === "Sign out");
    await Promise.all([page.waitForURL(/out=1$/), page.keyboard.press("Enter")]);
    await expect(page.locator("[role=status]").textContent()).resolves.toBe("You have signed out.");
    await context.close();
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
    await Promise.all([page.waitForURL(/\/done\//), page.keyboard.press("Enter")]);
    await expect(page.locator("h1").textContent()).resolves.toBe("Your account is ready");
    await context.close();
    expect(await canLogin(live.server, "keyboard", "tab-tab-enter-42")).toBe(true);
  });
});

const ANDROID_UA = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
/** Per language: the registration form's labels and the texts the walks below look for. */
const TEXTS = {
  en: { summary: "Please correct the following", done: "Your account is ready", tap: "Tap the button", more: "Apps for other devices", unknownRequest: "This request link is not valid" },
  de: { summary: "Bitte korrigiere Folgendes", done: "Dein Konto ist bereit", tap: "Tippe auf die Schaltfläche", more: "Apps für andere Geräte", unknownRequest: "Dieser Antragslink ist nicht gültig" },
  ar: { summary: "يُرجى تصحيح ما يلي", done: "حسابك جاهز", tap: "المس الزر", more: "تطبيقات لأجهزة أخرى", unknownRequest: "رابط هذا الطلب غير صالح" },
} as const;

/** Presses Tab until the focused element's id is `id` (or gives up), keyboard only. */
async function tabTo(page: Page, id: string, limit = 40): Promise<void> {
  const focusedId = () => page.evaluate<string>(`document.activeElement?.id ?? ""`);
  for (let steps = 0; (await focusedId()) !== id && steps < limit; steps++) await page.keyboard.press("Tab");
  expect(await focusedId()).toBe(id);
}

describe("no dead ends: phone, keyboard alone, no JavaScript", () => {
  for (const { lang, dir } of LANGUAGES) {
    it(`${lang} (${dir}): every error at once under a summary that has the focus; fixed, the success page survives reload and a language switch; the address never breaks mid-word`, async () => {
      const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 320, height: 640 }, userAgent: ANDROID_UA });
      const page = await context.newPage();
      const { token } = await live.app.invites.create();
      await open(page, lang, `/invite/${token}/register`);
      // "@domain" sits after the box, to its right, in every language (the address reads left to right).
      const [box, suffix] = await Promise.all([page.locator("#username").boundingBox(), page.locator("#username-domain").boundingBox()]);
      expect((suffix?.x ?? 0) > (box?.x ?? 0) + (box?.width ?? 0) - 1, "@domain right of the box").toBe(true);
      // …and whole, on one line (not "@exampl / e.test").
      await expect(page.evaluate<boolean>(`(() => { const element = document.getElementById("username-domain"); return element.getBoundingClientRect().height < 2 * parseFloat(getComputedStyle(element).lineHeight); })()`)).resolves.toBe(true);
      await tabTo(page, "username");
      await page.keyboard.type("a b");
      await tabTo(page, "password");
      await page.keyboard.type("x");
      await tabTo(page, "confirm");
      await page.keyboard.type("y");
      await tabTo(page, "confirm");
      await Promise.all([page.waitForEvent("framenavigated"), page.keyboard.press("Enter")]);
      await page.waitForLoadState("load");
      // All four fields at once, in the summary that now has the focus. The browser applies
      // autofocus once the page is parsed, which on a busy machine can come after "load": wait for it.
      await page.waitForFunction(`document.activeElement?.id === "error-summary"`, undefined, { timeout: 5000 }).catch(() => undefined);
      await expect(page.evaluate<string>(`document.activeElement?.id ?? ""`)).resolves.toBe("error-summary");
      mkdirSync("test-artifacts", { recursive: true });
      await page.screenshot({ path: `test-artifacts/errors-320-${lang}.png`, fullPage: true });
      await expect(page.locator("#error-summary h2").textContent()).resolves.toBe(TEXTS[lang].summary);
      expect(await page.locator("#error-summary a").evaluateAll((links) => links.map((link) => link.getAttribute("href")))).toEqual(["#username", "#password", "#confirm", "#consent"]);
      // The summary's first line leads to its field.
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await expect(page.evaluate<string>(`document.activeElement?.id ?? ""`)).resolves.toBe("username");
      await page.keyboard.press("Control+A");
      await page.keyboard.type(`juliet-${lang}`);
      for (const id of ["password", "confirm"]) {
        await tabTo(page, id);
        await page.keyboard.type("lantern-over-the-harbour");
      }
      await tabTo(page, "consent");
      await page.keyboard.press("Space");
      await page.keyboard.press("Enter");
      await page.waitForURL(/\/done\//);
      const done = page.url();
      await expect(page.locator("h1").textContent()).resolves.toBe(TEXTS[lang].done);
      // The address fits whole on a 320 px screen: one line, not broken inside a word.
      const jid = page.locator("p.success .jid");
      await expect(jid.textContent()).resolves.toBe(`juliet-${lang}@${live.server.domain}`);
      expect(await jid.evaluate((element) => element.getClientRects().length)).toBe(1);
      await page.reload();
      await expect(page.locator("h1").textContent()).resolves.toBe(TEXTS[lang].done);
      // The picker's plain link switches the language and keeps the page.
      await page.getByRole("navigation").getByRole("link", { name: "English" }).click();
      await expect(page.locator("h1").textContent()).resolves.toBe(TEXTS.en.done);
      expect(page.url().replace(/\?.*$/, "")).toBe(done.replace(/\?.*$/, ""));
      await context.close();
    });

    it(`${lang} (${dir}): a trailing slash still opens the page; an unknown request link speaks of a request; on a phone its own apps first, “tap”, the others behind a disclosure opened with the keyboard; badges fit 320 px`, async () => {
      const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 320, height: 640 }, userAgent: ANDROID_UA });
      const page = await context.newPage();
      await open(page, lang, "/request/AAAAAAAAAAAAAAAAAAAAAAAA", 404);
      await expect(page.locator("h1").textContent()).resolves.toBe(TEXTS[lang].unknownRequest);
      live.app.bridge.discovery = "present";
      try {
        const { token } = await live.app.invites.create();
        await open(page, lang, `/invite/${token}/`);
        expect(new URL(page.url()).pathname).toBe(`/invite/${token}`);
        await expect(page.locator("main").textContent()).resolves.toContain(TEXTS[lang].tap);
        const details = page.locator("details.more-apps");
        await expect(details.getAttribute("open")).resolves.toBeNull();
        await expect(page.getByText("Gajim").first().isVisible()).resolves.toBe(false);
        await page.locator("details.more-apps > summary").focus();
        await page.keyboard.press("Enter");
        await expect(page.getByText("Gajim").first().isVisible()).resolves.toBe(true);
        await expect(page.locator("details.more-apps > summary").textContent()).resolves.toBe(TEXTS[lang].more);
      } finally {
        live.app.bridge.discovery = "absent";
      }
      await context.close();
    });
  }

  for (const lang of ["en", "de", "ar", "ru", "pl"]) {
    it(`${lang}: every app badge stays whole on one line of a 320 px phone`, async () => {
      const context = await browser.newContext({ viewport: { width: 320, height: 640 }, userAgent: ANDROID_UA });
      const page = await context.newPage();
      live.app.bridge.discovery = "present";
      try {
        const { token } = await live.app.invites.create();
        await open(page, lang, `/invite/${token}`);
        await page.locator("details.more-apps > summary").click();
        const badges = await page.evaluate<Array<{ lines: number; right: number }>>(`[...document.querySelectorAll(".badge")].map((element) => {
          const box = element.getBoundingClientRect();
          const style = getComputedStyle(element);
          return { lines: Math.round((box.height - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom)) / parseFloat(style.lineHeight)), right: box.right };
        })`);
        expect(badges.length).toBeGreaterThan(2);
        for (const badge of badges) expect(badge).toEqual({ lines: 1, right: expect.any(Number) });
        expect(Math.max(...badges.map((badge) => badge.right))).toBeLessThanOrEqual(320);
      } finally {
        live.app.bridge.discovery = "absent";
      }
      await context.close();
    });
  }
});

describe("dark mode: explicit colours that axe-core accepts", () => {
  for (const { lang, dir } of LANGUAGES) {
    it(`${lang} (${dir}): front page, form with errors, success page`, async () => {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 }, bypassCSP: true, colorScheme: "dark", userAgent: ANDROID_UA });
      const page = await context.newPage();
      const errors: string[] = [];
      watchErrors(page, errors);
      const results: Audited[] = [];
      const colours = () => page.evaluate<{ background: string; color: string }>(`({ background: getComputedStyle(document.body).backgroundColor, color: getComputedStyle(document.body).color })`);
      await open(page, lang, "/");
      // The page sets both, dark: no transparent background left to the browser.
      await expect(colours()).resolves.toEqual({ background: "rgb(18, 23, 34)", color: "rgb(230, 233, 239)" });
      results.push(await auditPage(page, "front page", errors));
      const { token } = await live.app.invites.create();
      await open(page, lang, `/invite/${token}/register`);
      await page.locator("#username").fill(`dark-${lang}`);
      await Promise.all([page.waitForEvent("framenavigated"), page.locator("button[type=submit]").click()]);
      await page.waitForLoadState("load");
      results.push(await auditPage(page, "form with errors", errors));
      await page.locator("#password").fill("lantern-over-the-harbour");
      await page.locator("#confirm").fill("lantern-over-the-harbour");
      await page.locator("#consent").check();
      await Promise.all([page.waitForURL(/\/done\//), page.locator("button[type=submit]").click()]);
      results.push(await auditPage(page, "success page", errors));
      mkdirSync("test-artifacts", { recursive: true });
      await page.screenshot({ path: `test-artifacts/success-dark-${lang}.png`, fullPage: true });
      await context.close();
      for (const result of results) expect({ page: result.name, violations: result.violations, overflow: result.overflow, dir: result.dir }).toEqual({ page: result.name, violations: [], overflow: false, dir });
    });
  }
});
