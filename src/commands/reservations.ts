// Write-side uniqueness. A value (normalised username, or email where unique) is claimed by appending NameReserved
// to its own stream with the revision read; the store lets exactly one concurrent claimant win.
//
// A reservation holds only while it is backed by its account: the holder's stream exists, is not deleted, and still
// has this value. So a released, renamed or deleted holder frees the value without any clean-up. A reservation whose
// registration or rename never happened (the process died between the two appends) is void too, but only after a
// grace period, and only after fencing: the reclaimer appends to the holder's stream (RegistrationVoided with "no
// stream" expected, or ClaimVoided), so the late change, appended with an older expected revision, can never land.
import { ConcurrencyError, type EventStore } from '../store/port.js';
import { parseReservationEvent, reservationStream, type ReservedField } from '../events/reservation.events.js';
import { isAccount, type UserState } from './user.decider.js';
import { emailKey, usernameKey } from './normalize.js';
import { handleUserCommands, loadUser } from './handle.js';

/** How long an unbacked reservation is assumed to be a registration or change still in flight. */
export const CLAIM_GRACE_MS = 30_000;
const MAX_ATTEMPTS = 10;

export class NameTakenError extends Error {
  constructor(readonly field: ReservedField) {
    super(`${field} taken`);
    this.name = 'NameTakenError';
  }
}

export interface ReservationDeps {
  readonly store: EventStore;
  readonly newEventId: () => string;
  readonly now: () => Date;
}

const keyOf = (field: ReservedField, state: UserState): string | null =>
  isAccount(state) ? (field === 'username' ? usernameKey(state.username) : emailKey(state.email)) : null;

/** Claims `key` for `userId`, or throws NameTakenError. Idempotent for the same user. */
export async function claim(deps: ReservationDeps, field: ReservedField, key: string, userId: string): Promise<void> {
  const stream = reservationStream(field, key);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const last = (await deps.store.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0];
    const current = last ? parseReservationEvent(last.type, last.data) : null;
    if (current?.type === 'NameReserved') {
      if (current.data.userId === userId) return;
      const holder = current.data.userId;
      const { state } = await loadUser(deps.store, holder);
      if (keyOf(field, state) === key) throw new NameTakenError(field);
      if (state.status === 'none' || isAccount(state)) {
        // An unfinished claim: a registration, rename or email change in flight, or one whose process died.
        const age = deps.now().getTime() - Date.parse(current.data.at);
        if (age < CLAIM_GRACE_MS) throw new NameTakenError(field);
        if (!(await fence(deps, field, key, holder))) continue; // the change landed after all: look again
      }
    }
    try {
      await deps.store.append(
        stream,
        [{ id: deps.newEventId(), type: 'NameReserved', data: { v: 1, userId, at: deps.now().toISOString() } }],
        last ? last.revision : 'no_stream',
      );
      return;
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }
  // Only reachable under extreme contention on one value; the caller sees the value as taken.
  throw new NameTakenError(field);
}

/**
 * Gives the value up if `userId` holds it but its account no longer has it (a failed registration, a rename, a
 * deletion). A value still backed by the account is kept, so calling this after a partial failure is always safe.
 */
export async function release(deps: ReservationDeps, field: ReservedField, key: string, userId: string): Promise<void> {
  if (key === '') return;
  const stream = reservationStream(field, key);
  const last = (await deps.store.readStream(stream, { direction: 'backwards', maxCount: 1 }))[0];
  if (!last) return;
  const current = parseReservationEvent(last.type, last.data);
  if (current.type !== 'NameReserved' || current.data.userId !== userId) return;
  if (keyOf(field, (await loadUser(deps.store, userId)).state) === key) return;
  try {
    await deps.store.append(
      stream,
      [{ id: deps.newEventId(), type: 'NameReleased', data: { v: 1, userId, at: deps.now().toISOString() } }],
      last.revision,
    );
  } catch (error) {
    // Someone else claimed it meanwhile: nothing left to release.
    if (!(error instanceof ConcurrencyError)) throw error;
  }
}

/**
 * Makes the holder's unfinished claim void for good, or returns false when it landed first. The holder appends its
 * change with the revision it read before claiming, so any event appended here makes that append fail; its retry
 * claims again and finds the value taken. A registration never begun is fenced by creating its stream.
 */
async function fence(deps: ReservationDeps, field: ReservedField, key: string, holder: string): Promise<boolean> {
  try {
    await handleUserCommands(deps.store, deps.newEventId, holder, (state) => {
      if (keyOf(field, state) === key) throw new NameTakenError(field);
      return [{ type: 'VoidClaim', userId: holder, field, now: deps.now() }];
    });
    return true;
  } catch (error) {
    if (error instanceof NameTakenError) return false;
    throw error;
  }
}

export const reservationKey = (field: ReservedField, value: string): string =>
  field === 'username' ? usernameKey(value) : emailKey(value);
