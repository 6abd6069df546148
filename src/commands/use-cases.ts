// Every flow's use cases over one set of dependencies: what the REST surfaces call.
import type { JwtService } from '../crypto/jwt.js';
import type { UseCaseDeps } from './accounts.js';
import { registrationUseCases } from './registration.js';
import { activationUseCases } from './activation.js';
import { profileUseCases } from './profile.js';
import { passwordUseCases } from './password.js';
import { usernameUseCases } from './username.js';
import { tokenUseCases } from './tokens.js';
import { deletionUseCases } from './deletion.js';
import { adminUseCases } from './admin.js';
import { auditUseCases } from './audit.js';
import type { EventStore } from '../store/port.js';
import { emailVerificationUseCases } from './email-verification.js';
import { djRestAuthUseCases } from './dj-rest-auth.js';

export function useCases(deps: UseCaseDeps & { jwt: JwtService; store: EventStore }) {
  const username = usernameUseCases(deps);
  const profile = profileUseCases(deps);
  return {
    registration: registrationUseCases(deps),
    activation: activationUseCases(deps),
    profile,
    password: passwordUseCases(deps),
    username,
    tokens: tokenUseCases(deps),
    deletion: deletionUseCases(deps),
    admin: adminUseCases(deps),
    audit: auditUseCases(deps),
    emailVerification: emailVerificationUseCases(deps),
    djRestAuth: djRestAuthUseCases({ ...deps, username, profile }),
  };
}

export type UseCases = ReturnType<typeof useCases>;
