// Given/When/Then for a mailbox's stream: holders once each, email requests once per window.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mailboxDecider, type MailboxCommand } from '../../src/commands/mailbox.rules.js';
import { mailboxEvent, type MailboxEvent } from '../../src/events/mailbox.events.js';

const now = new Date('2026-06-01T12:00:00.000Z');
const at = now.toISOString();
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000).toISOString();

function given(events: MailboxEvent[]) {
  const state = events.reduce(mailboxDecider.evolve, mailboxDecider.initialState());
  return {
    when: (command: MailboxCommand) => ({
      then: (expected: MailboxEvent[]) => assert.deepEqual(mailboxDecider.decide(command, state), expected),
    }),
  };
}

describe('mailbox', () => {
  it('records a holder once', () => {
    given([])
      .when({ type: 'RecordHolder', userId: '7', now })
      .then([mailboxEvent('MailboxHeld', { userId: '7', at })]);
    given([mailboxEvent('MailboxHeld', { userId: '7', at: minutesAgo(5) })])
      .when({ type: 'RecordHolder', userId: '7', now })
      .then([]);
  });
  it('records an email request at most once per window, per kind', () => {
    const asked = mailboxEvent('EmailRequested', { kind: 'password_reset', at: minutesAgo(0.5) });
    given([asked]).when({ type: 'RequestEmail', kind: 'password_reset', window: 60, now }).then([]);
    given([asked])
      .when({ type: 'RequestEmail', kind: 'username_reset', window: 60, now })
      .then([mailboxEvent('EmailRequested', { kind: 'username_reset', at })]);
    given([asked])
      .when({ type: 'RequestEmail', kind: 'password_reset', window: 20, now })
      .then([mailboxEvent('EmailRequested', { kind: 'password_reset', at })]);
  });
});
