// Load through several instances at once, as the several-instances fault suites drive it: a proxy in
// front of the web doors, XMPP clients that ask again when told to wait, and the figures of a run.
import {
  type Attempt, type Outcome, type RawClient, registerOverApi, registerOverWebForm,
} from "./support.js";

/** An attempt with the time it ended and the waits it was told on the way. */
export interface Timed extends Attempt {
  doneAt?: number;
  waits?: Array<{ status: string; at: number }>;
}

/** A refusal that asks to wait (HTTP 503, XMPP wait/…), tried again shortly as a client does. */
export const isWait = (outcome: Outcome) => !outcome.ok && (outcome.status === "503" || outcome.status.startsWith("wait/"));

/**
 * What a reverse proxy in front of the instances does: the next instance when one refuses the
 * connection (it is down), never a second try of a request an instance has received.
 */
export async function overHttp(attempt: Timed, live: () => string[], password: string): Promise<Outcome> {
  for (let round = 0; round < 50; round++) {
    for (const base of live()) {
      const outcome = attempt.door === "web"
        ? await registerOverWebForm(base, attempt.token, attempt.username, password)
        : await registerOverApi(base, attempt.token, attempt.username, password);
      if (outcome.ok || outcome.status !== "disconnected" || outcome.text !== "ECONNREFUSED") return outcome;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { ok: false, status: "no-instance", text: "" };
}

/** The web doors of the instances running now, starting at a random one as a proxy spreads load. */
export function liveUrls(instances: ReadonlyArray<{ isRunning(): boolean; readonly httpUrl: string }>): () => string[] {
  return () => {
    const urls = instances.filter((instance) => instance.isRunning()).map((instance) => instance.httpUrl);
    const start = Math.floor(Math.random() * Math.max(1, urls.length));
    return [...urls.slice(start), ...urls.slice(0, start)];
  };
}

export interface Drive {
  /** The XMPP door's clients: one queue slot each. */
  readonly clients: readonly RawClient[];
  /** HTTP clients per web door. */
  readonly perDoor: number;
  readonly live: () => string[];
  readonly password: string;
  /** One XMPP-door attempt from a client. */
  readonly xmpp: (client: RawClient, attempt: Timed) => Promise<Outcome>;
}

/** Runs every attempt, each door's queue drained by its clients; a wait is asked again for 20 s. */
export async function drive(attempts: readonly Timed[], how: Drive): Promise<void> {
  const queues = new Map<Attempt["door"], Timed[]>();
  for (const attempt of attempts) queues.set(attempt.door, [...(queues.get(attempt.door) ?? []), attempt]);
  let next = 0;
  await Promise.all([...queues].flatMap(([door, queue]) => Array.from({ length: door === "xmpp" ? how.clients.length : how.perDoor }, async () => {
    const client = how.clients[next++ % how.clients.length];
    for (let attempt = queue.shift(); attempt; attempt = queue.shift()) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        attempt.outcome = door === "xmpp" && client ? await how.xmpp(client, attempt) : await overHttp(attempt, how.live, how.password);
        if (!isWait(attempt.outcome) || Date.now() > deadline) break;
        (attempt.waits ??= []).push({ status: attempt.outcome.ok ? "" : attempt.outcome.status, at: Date.now() });
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      attempt.doneAt = Date.now();
    }
  })));
}

/** Seconds from `since` to the first success completed after it at each door. */
export function resumedAfter(attempts: readonly Timed[], since: number): Record<string, number | null> {
  const first = (doors: Array<Attempt["door"]>) => {
    const times = attempts.filter((a) => doors.includes(a.door) && a.outcome?.ok && (a.doneAt ?? 0) > since).map((a) => a.doneAt ?? 0);
    return times.length ? Number(((Math.min(...times) - since) / 1000).toFixed(2)) : null;
  };
  return { xmpp: first(["xmpp"]), web: first(["web", "api"]) };
}

/** Tokens whose attempt made no account, tried again through any running instance's API. */
export async function retryFailed(accounts: ReadonlySet<string>, attempts: readonly Timed[], prefix: string, live: () => string[], password: string): Promise<Timed[]> {
  const retries: Timed[] = attempts.filter((a) => !accounts.has(a.username)).map((a, i) => ({ ...a, username: `${prefix}${i}`, door: "api" as const, outcome: undefined }));
  for (const retry of retries) retry.outcome = await overHttp(retry, live, password);
  return retries;
}
