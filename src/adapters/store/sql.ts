// The small dialect both engines speak. A store method is written once as a generator of
// statements (`yield* get(...)`, `yield* run(...)`), with `?` placeholders and JavaScript booleans
// and Buffers as parameters; each engine drives it: SQLite synchronously (better-sqlite3, so a
// transaction runs without yielding and nothing interleaves), PostgreSQL with an await per statement.
export type Param = string | number | boolean | Buffer | null;

/**
 * Locks that make writers of one key take turns for the rest of the transaction (PostgreSQL:
 * advisory locks). SQLite needs none: its transactions take the file's single write lock.
 */
export type Lock = "inviter" | "group" | "requests";

export type Statement =
  | { readonly kind: "all" | "get" | "run"; readonly sql: string; readonly params: readonly Param[] }
  | { readonly kind: "lock"; readonly lock: Lock; readonly key: string };

/** Statements to run, ending in a T: each `yield` hands one to the engine and gets its answer. */
export type Sql<T> = Generator<Statement, T, unknown>;

export function* all<R>(sql: string, ...params: Param[]): Sql<R[]> {
  return (yield { kind: "all", sql, params }) as R[];
}

export function* get<R>(sql: string, ...params: Param[]): Sql<R | undefined> {
  return (yield { kind: "get", sql, params }) as R | undefined;
}

/** A write; answers how many rows it changed. */
export function* run(sql: string, ...params: Param[]): Sql<number> {
  return (yield { kind: "run", sql, params }) as number;
}

export function* lock(name: Lock, key = ""): Sql<void> {
  yield { kind: "lock", lock: name, key };
}

/** Drives `work` synchronously, answering each statement with `execute`'s result. */
export function drive<T>(work: Sql<T>, execute: (statement: Statement) => unknown): T {
  let step = work.next();
  while (!step.done) step = work.next(execute(step.value));
  return step.value;
}

export interface SqlEngine {
  /** Runs the statements one by one, each committed on its own. */
  query<T>(work: Sql<T>): Promise<T>;
  /** Runs them in one transaction, rolled back when `work` throws; writers take turns (SQLite: BEGIN IMMEDIATE). */
  transaction<T>(work: Sql<T>): Promise<T>;
  /**
   * Where the engine can, the claim as one statement: takes the use (the conditional UPDATE) and
   * inserts the claim, answering its id. Parameters: invite id, now, claim id, username, door,
   * requester, holder. Absent: the same two statements run in one transaction.
   */
  readonly claimStatement?: string;
  /** Which of these claim holders (instances) are alive; `self` is this process's. */
  liveHolders(holders: readonly string[], self: string): Promise<ReadonlySet<string>>;
}
