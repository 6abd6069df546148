// djoser's UserSerializer: REQUIRED_FIELDS + USER_ID_FIELD + LOGIN_FIELD.
import type { Account } from '../../commands/account.state.js';
import type { UserDoc } from '../../readmodel/port.js';

export const presentUser = (user: UserDoc | Account) => ({ email: user.email, id: user.id, username: user.username });
