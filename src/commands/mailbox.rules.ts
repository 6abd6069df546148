// Mailbox rules: an address's holders are recorded once each; an email of one kind asked for with just the address
// is recorded at most once per window (EMAIL_REQUEST_WINDOW), so a flood of requests appends nothing after the first.
import { mailboxEvent, type emailRequestKinds, type MailboxEvent } from '../events/mailbox.events.js';
import type { Decider } from './decider.js';

export type EmailRequestKind = (typeof emailRequestKinds)[number];

export interface MailboxState {
  /** Every account that ever took the address (it may have moved on: the processor checks). */
  readonly holders: readonly string[];
  readonly lastRequest: Readonly<Partial<Record<EmailRequestKind, string>>>;
}

export type MailboxCommand =
  | { readonly type: 'RecordHolder'; readonly userId: string; readonly now: Date }
  | { readonly type: 'RequestEmail'; readonly kind: EmailRequestKind; readonly window: number; readonly now: Date };

export const mailboxDecider: Decider<MailboxState, MailboxCommand, MailboxEvent> = {
  initialState: () => ({ holders: [], lastRequest: {} }),
  evolve: (state, event) =>
    event.type === 'MailboxHeld'
      ? { ...state, holders: [...state.holders, event.data.userId] }
      : { ...state, lastRequest: { ...state.lastRequest, [event.data.kind]: event.data.at } },
  decide(command, state) {
    const at = command.now.toISOString();
    if (command.type === 'RecordHolder')
      return state.holders.includes(command.userId) ? [] : [mailboxEvent('MailboxHeld', { userId: command.userId, at })];
    const last = state.lastRequest[command.kind];
    if (last !== undefined && command.now.getTime() - Date.parse(last) < command.window * 1000) return [];
    return [mailboxEvent('EmailRequested', { kind: command.kind, at })];
  },
};
