// Client apps suggested on the landing page, in the spirit of Prosody's mod_register_apps:
// which platforms, where to get them, and whether they take invite (preauth) links directly.

export type Platform = "Android" | "iOS" | "macOS" | "Windows" | "Linux" | "Web";

export interface ClientApp {
  readonly id: string;
  readonly name: string;
  readonly platforms: readonly Platform[];
  /** Opens xmpp:…;preauth= links and registers or adds the contact by itself. */
  readonly supportsPreauth: boolean;
  readonly links: ReadonlyArray<{ readonly label: string; readonly url: string }>;
  /** Google Play: the install referrer carries the invite through the installation. */
  readonly playStoreId?: string;
}

export const CLIENT_APPS: readonly ClientApp[] = [
  {
    id: "conversations",
    name: "Conversations",
    platforms: ["Android"],
    supportsPreauth: true,
    playStoreId: "eu.siacs.conversations",
    links: [{ label: "F-Droid", url: "https://f-droid.org/packages/eu.siacs.conversations/" }],
  },
  {
    id: "monal",
    name: "Monal",
    platforms: ["iOS", "macOS"],
    supportsPreauth: true,
    links: [{ label: "App Store", url: "https://apps.apple.com/app/id317711500" }, { label: "Website", url: "https://monal-im.org/" }],
  },
  {
    id: "siskin",
    name: "Siskin IM",
    platforms: ["iOS"],
    supportsPreauth: true,
    links: [{ label: "App Store", url: "https://apps.apple.com/app/id1153516838" }],
  },
  {
    id: "beagle",
    name: "Beagle IM",
    platforms: ["macOS"],
    supportsPreauth: true,
    links: [{ label: "App Store", url: "https://apps.apple.com/app/id1445349494" }],
  },
  {
    id: "dino",
    name: "Dino",
    platforms: ["Linux"],
    supportsPreauth: false,
    links: [{ label: "Website", url: "https://dino.im/" }],
  },
  {
    id: "gajim",
    name: "Gajim",
    platforms: ["Windows", "Linux"],
    supportsPreauth: false,
    links: [{ label: "Website", url: "https://gajim.org/" }],
  },
  {
    id: "movim",
    name: "Movim",
    platforms: ["Web"],
    supportsPreauth: false,
    links: [{ label: "Website", url: "https://movim.eu/" }],
  },
];

export const PLATFORMS: readonly Platform[] = ["Android", "iOS", "macOS", "Windows", "Linux", "Web"];

/**
 * The Play Store link; with `uri`, its install referrer hands the invite to the app after
 * installation (only worth doing when the app can redeem it).
 */
export function playStoreLink(app: ClientApp, uri: string | undefined): string | undefined {
  if (app.playStoreId === undefined) return undefined;
  const base = `https://play.google.com/store/apps/details?id=${app.playStoreId}`;
  return uri === undefined ? base : `${base}&referrer=${encodeURIComponent(uri)}`;
}
