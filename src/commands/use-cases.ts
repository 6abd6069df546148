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

export function useCases(deps: UseCaseDeps & { jwt: JwtService }) {
  return {
    registration: registrationUseCases(deps),
    activation: activationUseCases(deps),
    profile: profileUseCases(deps),
    password: passwordUseCases(deps),
    username: usernameUseCases(deps),
    tokens: tokenUseCases(deps),
    deletion: deletionUseCases(deps),
    admin: adminUseCases(deps),
  };
}

export type UseCases = ReturnType<typeof useCases>;
