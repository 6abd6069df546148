// The djoser REST surface: every endpoint, in the order the router tries them (users/me/ and the actions before
// users/<id>/). Mounted under /auth/.
import type { Endpoint } from './endpoint.js';
import type { RouteDeps } from './routes/deps.js';
import { registrationEndpoints } from './routes/registration.js';
import { activationEndpoints } from './routes/activation.js';
import { profileEndpoints } from './routes/profile.js';
import { deletionEndpoints } from './routes/deletion.js';
import { passwordEndpoints } from './routes/password.js';
import { usernameEndpoints } from './routes/username.js';
import { tokenEndpoints } from './routes/tokens.js';
import { jwtEndpoints } from './routes/jwt.js';
import { userDetailEndpoints } from './routes/user-detail.js';

export const djoserEndpoints = (deps: RouteDeps): Endpoint[] => [
  ...registrationEndpoints(deps),
  ...profileEndpoints(deps),
  ...deletionEndpoints(deps),
  ...activationEndpoints(deps),
  ...passwordEndpoints(deps),
  ...usernameEndpoints(deps),
  ...tokenEndpoints(deps),
  ...jwtEndpoints(deps),
  ...userDetailEndpoints(),
];
