// Response bodies the routes document (their `doc.responses`), as zod schemas; an `id` makes a named component.
// test/http/openapi.test.ts checks real responses against them, so they cannot drift from what the handlers send.
import { z } from 'zod';

/** djoser's UserSerializer, as presentUser (routes/present.ts) sends it. */
export const userBody = z
  .object({ email: z.string(), id: z.string(), username: z.string() })
  .meta({ id: 'User', description: "djoser's UserSerializer: the login field, REQUIRED_FIELDS and the id." });

/** DRF authtoken's login answer. */
export const authTokenBody = z.object({ auth_token: z.string() }).meta({ id: 'AuthToken' });

/** simplejwt's TokenObtainPairView. */
export const tokenPairBody = z
  .object({ refresh: z.string().describe('Refresh token (JWT).'), access: z.string().describe('Access token (JWT).') })
  .meta({ id: 'TokenPair' });

/** simplejwt's TokenRefreshView. */
export const accessTokenBody = z.object({ access: z.string().describe('Access token (JWT).') }).meta({ id: 'AccessToken' });

export const emptyBody = z.object({}).meta({ description: 'An empty object.' });
