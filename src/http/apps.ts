// Client apps suggested on the landing page, in the spirit of Prosody's mod_register_apps
// (`site_apps`): which platforms, where to get them, and whether they take invite (preauth) links
// directly. The config key `apps` replaces the list: built-in ids and apps of the operator's own,
// in the order given (leaving one out hides it).
import { APP_PLATFORMS, type Config } from "../config/schema.js";

const PLATFORMS = APP_PLATFORMS;
export type Platform = (typeof APP_PLATFORMS)[number];

/** fdroid, appstore and play are store names; website is translated; other links carry their own label. */
export type LinkKind = "fdroid" | "appstore" | "play" | "website" | "other";

export interface AppLink {
  readonly kind: LinkKind;
  readonly url: string;
  readonly label?: string | undefined;
}

export interface ClientApp {
  readonly id: string;
  readonly name: string;
  readonly platforms: readonly Platform[];
  /** Opens xmpp:…;preauth= links and registers or adds the contact by itself. */
  readonly supportsPreauth: boolean;
  readonly links: readonly AppLink[];
  /** Google Play: the install referrer carries the invite through the installation. */
  readonly playStoreId?: string | undefined;
}

export const BUILT_IN_APPS: readonly ClientApp[] = [
  {
    id: "conversations",
    name: "Conversations",
    platforms: ["Android"],
    supportsPreauth: true,
    playStoreId: "eu.siacs.conversations",
    links: [{ kind: "fdroid", url: "https://f-droid.org/packages/eu.siacs.conversations/" }],
  },
  {
    id: "cheogram",
    name: "Cheogram",
    platforms: ["Android"],
    supportsPreauth: true,
    playStoreId: "com.cheogram.android.playstore",
    links: [{ kind: "fdroid", url: "https://f-droid.org/packages/com.cheogram.android/" }],
  },
  {
    id: "monal",
    name: "Monal",
    platforms: ["iOS", "macOS"],
    supportsPreauth: true,
    links: [{ kind: "appstore", url: "https://apps.apple.com/app/id317711500" }, { kind: "website", url: "https://monal-im.org/" }],
  },
  {
    id: "siskin",
    name: "Siskin IM",
    platforms: ["iOS"],
    supportsPreauth: true,
    links: [{ kind: "appstore", url: "https://apps.apple.com/app/id1153516838" }],
  },
  {
    id: "gajim",
    name: "Gajim",
    platforms: ["Windows", "Linux"],
    supportsPreauth: false,
    links: [{ kind: "website", url: "https://gajim.org/download/" }],
  },
  {
    id: "dino",
    name: "Dino",
    platforms: ["Linux"],
    supportsPreauth: false,
    links: [{ kind: "website", url: "https://dino.im/" }],
  },
  {
    id: "beagle",
    name: "Beagle IM",
    platforms: ["macOS"],
    supportsPreauth: true,
    links: [{ kind: "appstore", url: "https://apps.apple.com/app/id1445349494" }],
  },
  {
    id: "movim",
    name: "Movim",
    platforms: ["Web"],
    supportsPreauth: false,
    links: [{ kind: "website", url: "https://movim.eu/" }],
  },
];

type AppsConfig = NonNullable<Config["apps"]>;

/** The configured list, or the built-in one; an unknown built-in id is a configuration error. */
export function resolveApps(configured: AppsConfig | undefined): readonly ClientApp[] {
  if (configured === undefined) return BUILT_IN_APPS;
  return configured.map((entry) => {
    if (typeof entry === "string") {
      const app = BUILT_IN_APPS.find((candidate) => candidate.id === entry);
      if (!app) throw new Error(`apps: no built-in app "${entry}" (built in: ${BUILT_IN_APPS.map((a) => a.id).join(", ")})`);
      return app;
    }
    return {
      id: entry.id,
      name: entry.name,
      platforms: entry.platforms,
      supportsPreauth: entry.supports_preauth,
      playStoreId: entry.play_store_id,
      links: entry.links.map((link) => ({ kind: link.label === undefined ? "website" : "other", url: link.url, label: link.label })),
    };
  });
}

/** The phone platform a User-Agent names, if any (iPadOS says "Macintosh" and counts as a computer). */
export function phonePlatform(userAgent: string | undefined): Platform | undefined {
  if (userAgent === undefined) return undefined;
  if (/\bAndroid\b/i.test(userAgent)) return "Android";
  if (/\b(iPhone|iPad|iPod)\b/.test(userAgent)) return "iOS";
  return undefined;
}

/**
 * Whether the visitor taps (a phone or tablet) or clicks (a desktop system): a hint from the
 * User-Agent for the wording alone; undefined when it does not say, and the text stays neutral.
 */
export function pointerKind(userAgent: string | undefined): "tap" | "click" | undefined {
  if (userAgent === undefined) return undefined;
  if (/\b(Android|iPhone|iPad|iPod|Mobile)\b/i.test(userAgent)) return "tap";
  if (/\b(Windows NT|Macintosh|X11|CrOS|Linux x86_64)\b/.test(userAgent)) return "click";
  return undefined;
}

/** Platforms in display order: the visitor's phone platform first. */
export function platformOrder(first: Platform | undefined): readonly Platform[] {
  return first === undefined ? PLATFORMS : [first, ...PLATFORMS.filter((platform) => platform !== first)];
}

/**
 * The Play Store link; with `uri`, its install referrer hands the invite to the app after
 * installation (only worth doing when the app can redeem it).
 */
export function playStoreLink(app: ClientApp, uri: string | undefined): string | undefined {
  if (app.playStoreId === undefined) return undefined;
  const base = `https://play.google.com/store/apps/details?id=${app.playStoreId}`;
  return uri === undefined ? base : `${base}&referrer=${encodeURIComponent(uri)}`;
}
