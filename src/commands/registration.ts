// Registration (POST users/, and `authstream createsuperuser`): the username (and the email, where unique) is
// claimed on the write side, then the account is created on a fresh stream.
import { DomainError, isDomainError, type ReservedKind, type UniqueField } from './decider.js';
import type { Account } from './account.state.js';
import type { EventMetadata } from './command-handler.js';
import { emailKey, normalizeEmail, usernameClaims, usernameKey } from './normalize.js';
import type { UseCaseDeps } from './accounts.js';

export interface Registration {
  /** The username; '' on the email user model. */
  readonly username: string;
  readonly email: string;
  /** null: an unusable password (Django's set_unusable_password). */
  readonly password: string | null;
  readonly firstName?: string;
  readonly lastName?: string;
  /** The model's own fields (USER_FIELDS). */
  readonly profile?: Readonly<Record<string, string>>;
}

/**
 * Ids tried before giving up. Each collision is another registration that succeeded, so this bounds a burst of
 * registrations on other processes, not a retry budget against failures.
 */
const MAX_IDS = 32;

export function registrationUseCases(deps: UseCaseDeps) {
  const { config, readModel, accounts, reservations, model } = deps;

  /** What a registration claims: the username (on the username model) and the email where it is unique. */
  const claimsOf = (username: string, email: string): [ReservedKind, string][] => [
    ...(model.usernameField === 'username' ? usernameClaims(username) : []),
    ...(config.EMAIL_UNIQUE && emailKey(email) !== '' ? [['email', emailKey(email)] as [ReservedKind, string]] : []),
  ];

  async function create(
    input: Registration,
    flags: { staff: boolean; requireActivation: boolean; emailAsTyped?: boolean },
    metadata?: EventMetadata,
  ) {
    // Django's create_user stores the NFKC username and normalize_email's address (allauth's signup: as typed).
    const username = input.username.normalize('NFKC');
    const email = flags.emailAsTyped ? input.email.trim() : normalizeEmail(input.email);
    // Hashed before claiming, so a claim is backed by its account as soon as possible.
    const passwordHash = input.password === null ? null : await deps.hasher.hash(input.password);
    const claims = claimsOf(username, email);
    let lost: string | undefined;
    for (let attempt = 1; attempt <= MAX_IDS; attempt++) {
      const userId = await deps.ids.next(lost === undefined ? {} : { lost });
      try {
        for (const [field, key] of claims) await reservations.claim(field, key, userId);
        // Before the account's event: a holder the registration then does not back is harmless (it is checked).
        await deps.mailboxes.recordHolder(email, userId, metadata);
        const command = {
          type: 'RegisterUser',
          userId,
          username,
          email,
          firstName: input.firstName ?? '',
          lastName: input.lastName ?? '',
          profile: { ...input.profile },
          passwordHash,
          isStaff: flags.staff,
          isSuperuser: flags.staff,
          requireActivation: flags.requireActivation,
          now: deps.now(),
        } as const;
        return (await accounts.execute(userId, command, metadata)).state as Account;
      } catch (error) {
        // The id was taken (another process registered it, or a claim of ours was fenced): start over with another.
        if (!isDomainError(error, 'stale_facts')) throw error;
        lost = userId;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
      } finally {
        // Safe after success too: release keeps a value the account holds.
        for (const [field, key] of claims) await reservations.release(field, key, userId);
      }
    }
    throw new DomainError('write_conflict');
  }

  return {
    /**
     * DRF's UniqueValidator: the values another account already holds, said before any work. The claim in
     * register() is what enforces uniqueness; this only gives the early, ordinary answer.
     */
    async checkAvailable(input: { username?: string | undefined; email?: string | undefined }): Promise<void> {
      const fields: UniqueField[] = [];
      if (
        model.usernameField === 'username' &&
        input.username !== undefined &&
        (await readModel.findUserByUsername(usernameKey(input.username)))
      ) {
        fields.push('username');
      }
      if (config.EMAIL_UNIQUE && input.email && (await readModel.findUsersByEmail(emailKey(input.email))).length) fields.push('email');
      if (fields.length) throw new DomainError('taken', { fields });
    },

    /** Creates the account; DomainError('taken') when the username (or unique email) went to someone else. */
    register: (input: Registration, metadata?: EventMetadata): Promise<Account> =>
      create(input, { staff: false, requireActivation: config.SEND_ACTIVATION_EMAIL }, metadata),

    /**
     * allauth's signup (the dj-rest-auth surface): active at once whatever SEND_ACTIVATION_EMAIL says (allauth
     * verifies the address instead, never is_active), the email stored as typed.
     */
    signUp: (input: Registration, metadata?: EventMetadata): Promise<Account> =>
      create(input, { staff: false, requireActivation: false, emailAsTyped: true }, metadata),

    /** Django's create_superuser: staff and superuser, active whatever SEND_ACTIVATION_EMAIL says. */
    createSuperuser: (input: Registration, metadata?: EventMetadata): Promise<Account> =>
      create(input, { staff: true, requireActivation: false }, metadata),
  };
}

export type RegistrationUseCases = ReturnType<typeof registrationUseCases>;
