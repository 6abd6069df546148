// Registration (POST users/): the username (and the email, where unique) is claimed on the write side, then the
// account is created on a fresh stream.
import { DomainError, isDomainError, type UniqueField } from './decider.js';
import type { Account } from './account.state.js';
import type { EventMetadata } from './command-handler.js';
import { emailKey, normalizeEmail, usernameKey } from './normalize.js';
import type { UseCaseDeps } from './accounts.js';

export interface Registration {
  readonly username: string;
  readonly email: string;
  readonly password: string;
}

const MAX_IDS = 5;

export function registrationUseCases(deps: UseCaseDeps) {
  const { config, readModel, accounts, reservations } = deps;
  return {
    /**
     * DRF's UniqueValidator: the values another account already holds, said before any work. The claim in
     * register() is what enforces uniqueness; this only gives the early, ordinary answer.
     */
    async checkAvailable(input: { username?: string | undefined; email?: string | undefined }): Promise<void> {
      const fields: UniqueField[] = [];
      if (input.username !== undefined && (await readModel.findUserByUsername(usernameKey(input.username)))) fields.push('username');
      if (config.EMAIL_UNIQUE && input.email && (await readModel.findUsersByEmail(emailKey(input.email))).length) fields.push('email');
      if (fields.length) throw new DomainError('taken', { fields });
    },

    /** Creates the account; DomainError('taken') when the username (or unique email) went to someone else. */
    async register(input: Registration, metadata?: EventMetadata): Promise<Account> {
      // Django's create_user stores the NFKC username and normalize_email's address.
      const username = input.username.normalize('NFKC');
      const email = normalizeEmail(input.email);
      // Hashed before claiming, so a claim is backed by its account as soon as possible.
      const passwordHash = await deps.hasher.hash(input.password);
      const claims: [UniqueField, string][] = [['username', usernameKey(username)]];
      if (config.EMAIL_UNIQUE && emailKey(email) !== '') claims.push(['email', emailKey(email)]);
      for (let attempt = 1; attempt <= MAX_IDS; attempt++) {
        const userId = deps.newId();
        try {
          for (const [field, key] of claims) await reservations.claim(field, key, userId);
          const command = {
            type: 'RegisterUser',
            userId,
            username,
            email,
            firstName: '',
            lastName: '',
            passwordHash,
            requireActivation: config.SEND_ACTIVATION_EMAIL,
            now: deps.now(),
          } as const;
          return (await accounts.execute(userId, command, metadata)).state as Account;
        } catch (error) {
          // The stream was fenced out (a claim of ours was taken as dead): start over with a new id.
          if (!isDomainError(error, 'stale_facts')) throw error;
        } finally {
          // Safe after success too: release keeps a value the account holds.
          for (const [field, key] of claims) await reservations.release(field, key, userId);
        }
      }
      throw new DomainError('write_conflict');
    },
  };
}

export type RegistrationUseCases = ReturnType<typeof registrationUseCases>;
