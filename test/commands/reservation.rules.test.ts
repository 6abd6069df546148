// Given/When/Then for the reservation decider: who may take a unique value's stream.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isDomainError, type DomainErrorCode } from '../../src/commands/decider.js';
import { CLAIM_GRACE_MS, reservationDecider, type ReservationCommand } from '../../src/commands/reservation.rules.js';
import { reservationEvent, type ReservationEvent } from '../../src/events/reservation.events.js';

const t0 = new Date('2026-03-01T00:00:00.000Z');
const later = (ms: number) => new Date(t0.getTime() + ms);
const holder = '11111111-1111-4111-8111-111111111111';
const claimant = '22222222-2222-4222-8222-222222222222';
const reservedBy = (userId: string) => reservationEvent('NameReserved', { userId, at: t0.toISOString() });

function given(events: ReservationEvent[]) {
  const state = events.reduce(reservationDecider.evolve, reservationDecider.initialState());
  return {
    when: (command: ReservationCommand) => ({
      then: (expected: ReservationEvent[]) => assert.deepEqual(reservationDecider.decide(command, state), expected),
      thenRejects: (code: DomainErrorCode) =>
        assert.throws(
          () => reservationDecider.decide(command, state),
          (e: unknown) => isDomainError(e, code),
        ),
    }),
  };
}

const reserve = (standing?: 'holds' | 'gone' | 'unfinished' | 'fenced', now = t0): ReservationCommand => ({
  type: 'Reserve',
  field: 'username',
  userId: claimant,
  ...(standing ? { holder: { id: holder, standing } } : {}),
  now,
});

describe('Reserve', () => {
  it('takes a free value', () => {
    given([])
      .when(reserve())
      .then([reservationEvent('NameReserved', { userId: claimant, at: t0.toISOString() })]);
  });
  it('takes a released value', () => {
    given([reservedBy(holder), reservationEvent('NameReleased', { userId: holder, at: t0.toISOString() })])
      .when(reserve())
      .then([reservationEvent('NameReserved', { userId: claimant, at: t0.toISOString() })]);
  });
  it('is idempotent for the holder', () => {
    given([reservedBy(claimant)])
      .when(reserve())
      .then([]);
  });
  it('refuses a value its holder has', () => {
    given([reservedBy(holder)])
      .when(reserve('holds', later(10 * CLAIM_GRACE_MS)))
      .thenRejects('taken');
  });
  it('takes a value whose holder is gone (deleted, or fenced out earlier)', () => {
    given([reservedBy(holder)])
      .when(reserve('gone'))
      .then([reservationEvent('NameReserved', { userId: claimant, at: t0.toISOString() })]);
  });
  it('counts an unfinished claim as taken during the grace period', () => {
    given([reservedBy(holder)])
      .when(reserve('unfinished', later(CLAIM_GRACE_MS - 1)))
      .thenRejects('taken');
  });
  it('after the grace period asks for the unfinished claim to be fenced first', () => {
    given([reservedBy(holder)])
      .when(reserve('unfinished', later(CLAIM_GRACE_MS)))
      .thenRejects('stale_facts');
  });
  it('takes a value whose unfinished claim was fenced out', () => {
    const now = later(CLAIM_GRACE_MS);
    given([reservedBy(holder)])
      .when(reserve('fenced', now))
      .then([reservationEvent('NameReserved', { userId: claimant, at: now.toISOString() })]);
  });
  it('refuses facts about someone who is not the holder', () => {
    given([reservedBy('33333333-3333-4333-8333-333333333333')])
      .when(reserve('gone'))
      .thenRejects('stale_facts');
  });
});

describe('Release', () => {
  const release = (holderHoldsValue: boolean, userId = holder): ReservationCommand => ({
    type: 'Release',
    userId,
    holderHoldsValue,
    now: t0,
  });
  it('gives up a value its account no longer has', () => {
    given([reservedBy(holder)])
      .when(release(false))
      .then([reservationEvent('NameReleased', { userId: holder, at: t0.toISOString() })]);
  });
  it('keeps a value its account still has', () => {
    given([reservedBy(holder)])
      .when(release(true))
      .then([]);
  });
  it('does nothing for someone who is not the holder', () => {
    given([reservedBy(holder)])
      .when(release(false, claimant))
      .then([]);
  });
});
