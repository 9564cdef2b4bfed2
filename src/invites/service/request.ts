// What a person asks for when creating an invite (CLI flags, API JSON), checked with one set of
// rules and texts. Each edge reports a failure in its own way (usage error, 422).
import type { CreateInvite } from "./invite-service.js";
import { parsePeriod } from "../domain/period.js";

export interface InviteRequestInput extends Omit<CreateInvite, "expiresIn" | "maxUses"> {
  /** Seconds, or a period such as "7d". */
  readonly expires?: string | number | undefined;
  /** A whole number of uses. */
  readonly uses?: string | number | undefined;
}

export type RequestFailure = (field: "expires" | "uses", message: string) => never;

export function inviteRequest(input: InviteRequestInput, fail: RequestFailure): CreateInvite {
  const { expires, uses, ...rest } = input;
  let expiresIn: number | undefined;
  if (expires !== undefined) {
    expiresIn = parsePeriod(expires);
    if (expiresIn === undefined) fail("expires", `"${String(expires)}" is not a number of seconds or a period such as 7d, 12h or 3600`);
  }
  let maxUses: number | undefined;
  if (uses !== undefined) {
    maxUses = typeof uses === "number" ? uses : /^\d+$/.test(uses) ? Number(uses) : Number.NaN;
    if (!Number.isInteger(maxUses)) fail("uses", `"${String(uses)}" is not a whole number`);
  }
  return { ...rest, expiresIn, maxUses };
}
