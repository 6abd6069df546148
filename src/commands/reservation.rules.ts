// Reservation rules: a unique value's stream (`reservation-<field>-<key>`) names at most one holder.
//
// A reservation holds only while it is backed by its account: the holder's stream exists, is not deleted, and still
// has the value. So a renamed or deleted holder frees the value with no clean-up. A reservation whose registration or
// rename never happened (the process died between the two appends) counts as taken for a grace period, then may be
// reclaimed, but only after fencing: the reclaimer appends to the holder's stream (RegistrationVoided, or ClaimVoided),
// so the late change, appended with an older expected revision, can never land.
import { reservationEvent, type ReservationEvent } from '../events/reservation.events.js';
import { DomainError, type Decider, type ReservedKind } from './decider.js';
import { isAccount, type UserState } from './account.state.js';
import { heldKey } from './normalize.js';

/** How long an unbacked reservation is assumed to be a registration or change still in flight. */
export const CLAIM_GRACE_MS = 30_000;

export interface ReservationState {
  readonly holder: string | null;
  readonly reservedAt: string | null;
}

/** What the holder's own stream says about the reservation, as the use case found it. */
export type HolderStanding =
  /** its account has the value */
  | 'holds'
  /** deleted, or its registration was fenced out: the reservation is void */
  | 'gone'
  /** no account yet, or an account without the value: a registration or change in flight, or one that died */
  | 'unfinished'
  /** unfinished, and the use case has just fenced it out */
  | 'fenced';

export type ReservationCommand =
  | {
      readonly type: 'Reserve';
      readonly field: ReservedKind;
      readonly userId: string;
      /** The current holder's standing; required when someone else holds the value. */
      readonly holder?: { readonly id: string; readonly standing: HolderStanding };
      readonly now: Date;
    }
  | { readonly type: 'Release'; readonly userId: string; readonly holderHoldsValue: boolean; readonly now: Date };

export function standingOf(field: ReservedKind, key: string, holder: UserState): HolderStanding {
  if (isAccount(holder)) return heldKey(field, holder) === key ? 'holds' : 'unfinished';
  return holder.status === 'none' ? 'unfinished' : 'gone';
}

/** An unfinished claim past the grace period may be fenced out and reclaimed. */
export function mayBeFenced(state: ReservationState, now: Date): boolean {
  return state.reservedAt !== null && now.getTime() - Date.parse(state.reservedAt) >= CLAIM_GRACE_MS;
}

/** A reserved value another account holds: its field, or, for a skeleton, the username as a look-alike. */
export const takenError = (kind: ReservedKind): DomainError =>
  kind === 'username_skeleton'
    ? new DomainError('taken', { fields: ['username'], confusable: true })
    : new DomainError('taken', { fields: [kind] });

function reserve(command: Extract<ReservationCommand, { type: 'Reserve' }>, state: ReservationState): ReservationEvent[] {
  const reserved = [reservationEvent('NameReserved', { userId: command.userId, at: command.now.toISOString() })];
  if (state.holder === null) return reserved;
  if (state.holder === command.userId) return [];
  if (command.holder?.id !== state.holder) throw new DomainError('stale_facts');
  const taken = takenError(command.field);
  switch (command.holder.standing) {
    case 'holds':
      throw taken;
    case 'gone':
    case 'fenced':
      return reserved;
    case 'unfinished':
      // Within the grace period it may still land; after it the use case must fence it out first.
      throw mayBeFenced(state, command.now) ? new DomainError('stale_facts') : taken;
  }
}

function release(command: Extract<ReservationCommand, { type: 'Release' }>, state: ReservationState): ReservationEvent[] {
  // A value still backed by the account is kept, so releasing after a partial failure is always safe.
  if (state.holder !== command.userId || command.holderHoldsValue) return [];
  return [reservationEvent('NameReleased', { userId: command.userId, at: command.now.toISOString() })];
}

export const reservationDecider: Decider<ReservationState, ReservationCommand, ReservationEvent> = {
  initialState: () => ({ holder: null, reservedAt: null }),
  evolve: (_state, event) =>
    event.type === 'NameReserved' ? { holder: event.data.userId, reservedAt: event.data.at } : { holder: null, reservedAt: null },
  decide: (command, state) => (command.type === 'Reserve' ? reserve(command, state) : release(command, state)),
};
