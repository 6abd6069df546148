// Claiming and releasing unique values (the use case around the reservation decider): it loads what the decider
// needs to know about the current holder, fences out a holder's dead claim when the decider allows it, and retries
// when the facts it passed went stale.
import {
  legacyReservationStream,
  reservationCodec,
  reservationEvent,
  reservationStream,
  type ReservationEvent,
} from '../events/reservation.events.js';
import { ConcurrencyError, type EventStore } from '../store/port.js';
import { CommandHandler } from './command-handler.js';
import { DomainError, isDomainError, type ReservedKind } from './decider.js';
import {
  mayBeFenced,
  reservationDecider,
  standingOf,
  takenError,
  type ReservationCommand,
  type ReservationState,
} from './reservation.rules.js';
import { noStateCache } from './state-cache.js';
import type { Accounts } from './accounts.js';
import { isAccount } from './account.state.js';
import { heldKey } from './normalize.js';

const MAX_ROUNDS = 10;

export interface Reservations {
  /** Claims `key` for `userId`, or throws DomainError('taken'). Idempotent for the holder. */
  claim(field: ReservedKind, key: string, userId: string): Promise<void>;
  /** Gives the value up if `userId` holds it but its account no longer has it. */
  release(field: ReservedKind, key: string, userId: string): Promise<void>;
}

export function reservations(deps: {
  store: EventStore;
  accounts: Accounts;
  /** Names the streams (keyed hashes of the values): namingKey in erasure/data-key.ts. */
  namingKey: string;
  newEventId: () => string;
  now: () => Date;
}): Reservations {
  // Reservation streams are read once per claim, so folded states are not worth caching.
  const handler = new CommandHandler<ReservationState, ReservationCommand, ReservationEvent>({
    store: deps.store,
    decider: reservationDecider,
    codec: reservationCodec,
    cache: noStateCache(),
    newEventId: deps.newEventId,
  });

  /** Fences the holder's unfinished claim; false if its change landed after all. */
  async function fence(field: ReservedKind, key: string, holder: string): Promise<boolean> {
    try {
      await deps.accounts.execute(holder, { type: 'VoidClaim', userId: holder, field, key, now: deps.now() });
      return true;
    } catch (error) {
      if (isDomainError(error, 'taken')) return false;
      throw error;
    }
  }

  const streamOf = (field: ReservedKind, key: string) => reservationStream(deps.namingKey, field, key);

  /**
   * A value first claimed by an older version is in a stream named by the value itself. The first claim of the value
   * here (its hashed stream does not exist yet) copies that holder into the hashed stream (expecting no stream: one
   * copy wins), so uniqueness carries over. Whether there was a holder to copy.
   */
  async function carryOver(field: ReservedKind, key: string, stream: string): Promise<boolean> {
    const { state } = await handler.load(legacyReservationStream(field, key));
    if (state.holder === null) return false;
    const event = reservationEvent('NameReserved', { userId: state.holder, at: state.reservedAt ?? deps.now().toISOString() });
    const metadata = { actor: 'system', schemaVersion: event.data.v };
    await deps.store
      .append(stream, [{ id: deps.newEventId(), type: event.type, data: event.data as Record<string, unknown>, metadata }], 'no_stream')
      .catch((error: unknown) => {
        if (!(error instanceof ConcurrencyError)) throw error; // someone carried it over (or claimed it) first
      });
    return true;
  }

  return {
    async claim(field, key, userId) {
      const stream = streamOf(field, key);
      for (let round = 1; round <= MAX_ROUNDS; round++) {
        const loaded = await handler.load(stream);
        const { state, expected } = loaded;
        if (round === 1 && expected === 'no_stream' && (await carryOver(field, key, stream))) continue; // look again
        let holder: Extract<ReservationCommand, { type: 'Reserve' }>['holder'];
        if (state.holder !== null && state.holder !== userId) {
          let standing = standingOf(field, key, await deps.accounts.load(state.holder));
          if (standing === 'unfinished' && mayBeFenced(state, deps.now())) {
            if (!(await fence(field, key, state.holder))) continue; // it landed: look again
            standing = 'fenced';
          }
          holder = { id: state.holder, standing };
        }
        try {
          // Decided on what was just read; an append that meets a newer revision reads again itself.
          const reserve = { type: 'Reserve', field, userId, ...(holder ? { holder } : {}), now: deps.now() } as const;
          await handler.handle(stream, reserve, {}, loaded);
          return;
        } catch (error) {
          if (!isDomainError(error, 'stale_facts')) throw error;
        }
      }
      // Only reachable under extreme contention on one value; the caller sees it as taken.
      throw takenError(field);
    },

    async release(field, key, userId) {
      if (key === '') return;
      const account = await deps.accounts.load(userId);
      const holderHoldsValue = isAccount(account) && heldKey(field, account) === key;
      await handler.handle(streamOf(field, key), { type: 'Release', userId, holderHoldsValue, now: deps.now() });
    },
  };
}

/**
 * Changes a unique value of an account (a rename, a new unique email): claims the new value's reservations (a
 * username's key and skeleton), then runs the command built with the number of claims voided before, so a claim
 * fenced out meanwhile makes the decider refuse (stale_facts) and the change starts over, claims again and finds the
 * value taken. Afterwards whichever of the old and the new reservations the account does not hold are given up.
 */
export async function withClaim(
  deps: { accounts: Accounts; reservations: Reservations },
  change: { userId: string; claims: readonly (readonly [ReservedKind, string])[] },
  run: (claimsVoidedBefore: number) => Promise<unknown>,
): Promise<void> {
  const { accounts, reservations: names } = deps;
  const { userId, claims } = change;
  let old: [ReservedKind, string][] = [];
  try {
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const state = await accounts.load(userId);
      if (!isAccount(state)) throw new DomainError('not_found');
      old = claims.map(([kind]) => [kind, heldKey(kind, state)]);
      for (const [kind, key] of claims) if (key !== '' && key !== heldKey(kind, state)) await names.claim(kind, key, userId);
      try {
        await run(state.claimsVoided);
        return;
      } catch (error) {
        if (!isDomainError(error, 'stale_facts')) throw error;
      }
    }
    throw new DomainError('write_conflict');
  } finally {
    // release() keeps whatever the account holds, so giving up both sides is always safe.
    for (const [kind, key] of [...claims, ...old]) await names.release(kind, key, userId);
  }
}
