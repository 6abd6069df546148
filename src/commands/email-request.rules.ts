// Email-request rules: an address's request of one kind is recorded at most once per window (EMAIL_REQUEST_WINDOW),
// so a flood of requests for one address appends nothing and sends nothing after the first.
import { emailRequestEvent, type EmailRequestEvent, type emailRequestKinds } from '../events/email-request.events.js';
import type { Decider } from './decider.js';

export type EmailRequestKind = (typeof emailRequestKinds)[number];

export interface EmailRequestState {
  readonly last: Readonly<Partial<Record<EmailRequestKind, string>>>;
}

export interface RequestEmail {
  readonly type: 'RequestEmail';
  readonly kind: EmailRequestKind;
  /** The address as given, sealed by the use case. */
  readonly sealedAddress: string;
  readonly window: number;
  readonly now: Date;
}

export const emailRequestDecider: Decider<EmailRequestState, RequestEmail, EmailRequestEvent> = {
  initialState: () => ({ last: {} }),
  evolve: (state, event) => ({ last: { ...state.last, [event.data.kind]: event.data.at } }),
  decide(command, state) {
    const last = state.last[command.kind];
    if (last !== undefined && command.now.getTime() - Date.parse(last) < command.window * 1000) return [];
    return [emailRequestEvent({ kind: command.kind, address: command.sealedAddress, at: command.now.toISOString() })];
  },
};
