// Advisory lock keys: (LOCK_SPACE, n), two 32-bit keys, so no other user of the database collides.

/** "xinv" as a 32-bit number. */
export const LOCK_SPACE = 0x78696e76;

/** Jobs that run in one instance at a time (key 0 is the migration lock). */
export const JOB_KEYS = { housekeeping: 1, settlement: 2, roster: 3 } as const;

/** Taken for the length of a transaction that submits an account request (the limits count, then insert). */
export const REQUESTS_KEY = 4;

/** Per-inviter locks, (INVITER_SPACE, hashtext(inviter)): limited inserts of one user take turns. "xinw". */
export const INVITER_SPACE = 0x78696e77;
