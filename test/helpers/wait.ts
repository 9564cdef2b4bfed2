import type { App } from "../../src/app.js";

/** Polls until `check` holds; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until every roster step queued for `jid` is done. */
export function rosterStepsDone(app: App, jid: string, timeoutMs = 10_000): Promise<void> {
  return until(async () => {
    const tasks = await app.stores.rosterQueue.tasksFor(jid);
    return tasks.length > 0 && tasks.every((task) => task.doneAt !== null);
  }, timeoutMs, `the roster steps for ${jid}`);
}
