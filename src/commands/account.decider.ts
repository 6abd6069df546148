// The account decider (emmett's businessLogic.ts): one decide function per command, each in its flow's rules file,
// and one switch here; evolve is every flow's fold steps merged. Pure: the clock, ids, verified facts, password
// hashes and the link-token secret all arrive inside the command.
import type { UserEvent } from '../events/user.events.js';
import type { Decider } from './decider.js';
import { initialState, type UserState } from './account.state.js';
import type { Evolvers } from './evolvers.js';
import { importUser, registerUser, registrationEvolvers, voidClaim, type RegistrationCommand } from './registration.rules.js';
import { activateUser, activationEvolvers, requestActivationEmail, type ActivationCommand } from './activation.rules.js';
import { profileEvolvers, updateProfile, type ProfileCommand } from './profile.rules.js';
import { passwordEvolvers, requestPasswordReset, resetPassword, setPassword, type PasswordCommand } from './password.rules.js';
import { requestUsernameReset, resetLoginName, setLoginName, usernameEvolvers, type UsernameCommand } from './username.rules.js';
import { deactivateUser, reactivateUser, unlockAccount, type AdminCommand } from './admin.rules.js';
import {
  logIn,
  logOut,
  refreshSession,
  rejectCurrentPassword,
  revokeAllSessions,
  revokeSession,
  tokenEvolvers,
  type TokenCommand,
} from './tokens.rules.js';
import { deleteUser, deletionEvolvers, recordErasure, type DeletionCommand } from './deletion.rules.js';
import {
  emailVerificationEvolvers,
  requestEmailVerification,
  verifyEmail,
  type EmailVerificationCommand,
} from './email-verification.rules.js';

export type UserCommand =
  | RegistrationCommand
  | ActivationCommand
  | ProfileCommand
  | PasswordCommand
  | UsernameCommand
  | TokenCommand
  | DeletionCommand
  | AdminCommand
  | EmailVerificationCommand;

export function decide(command: UserCommand, state: UserState): UserEvent[] {
  switch (command.type) {
    case 'RegisterUser':
      return registerUser(command, state);
    case 'ImportUser':
      return importUser(command, state);
    case 'VoidClaim':
      return voidClaim(command, state);
    case 'ActivateUser':
      return activateUser(command, state);
    case 'RequestActivationEmail':
      return requestActivationEmail(command, state);
    case 'UpdateProfile':
      return updateProfile(command, state);
    case 'SetPassword':
      return setPassword(command, state);
    case 'RequestPasswordReset':
      return requestPasswordReset(command, state);
    case 'ResetPassword':
      return resetPassword(command, state);
    case 'SetLoginName':
      return setLoginName(command, state);
    case 'RequestUsernameReset':
      return requestUsernameReset(command, state);
    case 'ResetLoginName':
      return resetLoginName(command, state);
    case 'LogIn':
      return logIn(command, state);
    case 'LogOut':
      return logOut(command, state);
    case 'RefreshSession':
      return refreshSession(command, state);
    case 'RevokeSession':
      return revokeSession(command, state);
    case 'RevokeAllSessions':
      return revokeAllSessions(command, state);
    case 'RejectCurrentPassword':
      return rejectCurrentPassword(command, state);
    case 'DeleteUser':
      return deleteUser(command, state);
    case 'RecordErasure':
      return recordErasure(command, state);
    case 'DeactivateUser':
      return deactivateUser(command, state);
    case 'ReactivateUser':
      return reactivateUser(command, state);
    case 'UnlockAccount':
      return unlockAccount(command, state);
    case 'RequestEmailVerification':
      return requestEmailVerification(command, state);
    case 'VerifyEmail':
      return verifyEmail(command, state);
  }
}

const evolvers: Evolvers = {
  ...registrationEvolvers,
  ...activationEvolvers,
  ...profileEvolvers,
  ...passwordEvolvers,
  ...usernameEvolvers,
  ...tokenEvolvers,
  ...deletionEvolvers,
  ...emailVerificationEvolvers,
};

export function evolve(state: UserState, event: UserEvent): UserState {
  const step = evolvers[event.type] as ((state: UserState, event: UserEvent) => UserState) | undefined;
  if (!step) throw new Error(`no fold step for ${event.type}`);
  return step(state, event);
}

export const accountDecider: Decider<UserState, UserCommand, UserEvent> = { initialState, evolve, decide };

/** Folds a stream's events into its state. */
export const fold = (events: readonly UserEvent[]): UserState => events.reduce(evolve, initialState());
