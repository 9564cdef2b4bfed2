export class UsageError extends Error {
  override name = "UsageError" as const;
}

/** Runs node:util parseArgs, turning its errors into usage errors. */
export function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
