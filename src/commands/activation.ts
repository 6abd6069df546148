// Activation (users/activation/, users/resend_activation/): the emailed link activates; a new link can be asked for.
import { DomainError } from './decider.js';
import type { EventMetadata } from './command-handler.js';
import { accountOfUid, anyAccountWithEmail, linkToken, requestEmail, showEmailNotFound, type UseCaseDeps } from './accounts.js';
import { awaitsActivation } from './activation.rules.js';

export function activationUseCases(deps: UseCaseDeps) {
  const { config, accounts } = deps;
  return {
    async activate(input: { uid: string; token: string }, metadata?: EventMetadata): Promise<void> {
      const account = await accountOfUid(deps, input.uid);
      await accounts.execute(account.id, { type: 'ActivateUser', link: linkToken(deps, input.token), now: deps.now() }, metadata);
    },

    /** djoser 2.3: unknown and active addresses get no email and the same answer. */
    async resendActivation(email: string, metadata?: EventMetadata): Promise<void> {
      if (!config.SEND_ACTIVATION_EMAIL) {
        // Nothing is sent, but djoser still looks the address up first, and may say it is unknown.
        if (showEmailNotFound(config) && !(await anyAccountWithEmail(deps, email, awaitsActivation)))
          throw new DomainError('email_not_found');
        throw new DomainError('disabled');
      }
      await requestEmail(deps, email, 'activation', metadata);
    },
  };
}

export type ActivationUseCases = ReturnType<typeof activationUseCases>;
