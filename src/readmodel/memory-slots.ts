// What the in-memory read model holds per user and per token (memory.ts), shared with its snapshot (snapshot.ts) and
// the loaded snapshot it reads in place (memory-base.ts).
import type { AuthTokenDoc, UserDoc } from './port.js';

/**
 * A user as the model stores it: its dates as epoch milliseconds (NaN for an invalid date), made Dates again when
 * read. A Date is an object of its own: three per account (two here, one per token) were a fifth of the model's
 * memory and much of the work of loading its snapshot, and reads copy every document anyway.
 */
export type StoredUser = Omit<UserDoc, 'dateJoined' | 'lastLogin'> & { readonly dateJoined: number; readonly lastLogin: number | null };
export type StoredToken = Omit<AuthTokenDoc, 'created'> & { readonly created: number };

/**
 * What the model holds under a user id: the document itself, or its tombstone, whose revision outlives the document
 * so replays cannot resurrect it. Not a wrapper around the document: that was an object per user and per token.
 */
export interface UserTombstone {
  readonly id: string;
  readonly revision: number;
  readonly deleted: true;
}
export interface TokenTombstone {
  readonly userId: string;
  readonly revision: number;
  readonly deleted: true;
}
export type UserSlot = StoredUser | UserTombstone;
export type TokenSlot = StoredToken | TokenTombstone;

/** Whether a slot is a tombstone (a live document never has a `deleted` field). */
export const isTombstone = (slot: UserSlot | TokenSlot): slot is UserTombstone | TokenTombstone => 'deleted' in slot;
