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
import { adminEndpoints } from './routes/admin.js';
import { auditEndpoints } from './routes/audit.js';
import { sessionEndpoints } from './routes/sessions.js';

export const djoserEndpoints = (deps: RouteDeps): Endpoint[] => [
  ...registrationEndpoints(deps),
  ...profileEndpoints(deps),
  ...sessionEndpoints(deps),
  ...deletionEndpoints(deps),
  ...activationEndpoints(deps),
  ...passwordEndpoints(deps),
  ...usernameEndpoints(deps),
  ...tokenEndpoints(deps),
  ...jwtEndpoints(deps),
  ...auditEndpoints(deps), // users/me/events/ before users/<id>/events/, both before users/<id>/
  // users/ GET joins POST (declarations of one path merge); users/<id>/ comes after every users/<action>/.
  ...adminEndpoints(deps),
];
