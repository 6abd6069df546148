// simplejwt's views as djoser mounts them: jwt/create/, jwt/refresh/, jwt/verify/.
import { Router } from 'express';
import type { Config } from '../../config.js';
import type { AccountService } from '../../commands/accounts.js';
import { InvalidCredentialsError } from '../../commands/accounts.js';
import type { JwtService } from '../../crypto/jwt.js';
import type { ReadModel } from '../../readmodel/port.js';
import { charField, parseBody } from '../fields.js';
import { ApiError, detail } from '../errors.js';

// simplejwt's views name their own scheme on every 401.
const BEARER = { 'WWW-Authenticate': 'Bearer realm="api"' };
const tokenNotValid = (message = 'Token is invalid or expired') => new ApiError(401, { detail: message, code: 'token_not_valid' }, BEARER);

export interface JwtRouteDeps {
  readonly config: Config;
  readonly accounts: AccountService;
  readonly jwt: JwtService;
  readonly readModel: ReadModel;
}

export function jwtRouter({ config, accounts, jwt, readModel }: JwtRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });

  router.post('/jwt/create{/}', async (req, res) => {
    const body = parseBody({ [config.LOGIN_FIELD]: charField(), password: charField() }, req.body);
    try {
      const account = await accounts.authenticate(body[config.LOGIN_FIELD]!, body.password!);
      if (config.UPDATE_LAST_LOGIN) await accounts.recordLogin(account.id);
      res.json({ refresh: await jwt.issue('refresh', account.id), access: await jwt.issue('access', account.id) });
    } catch (error) {
      if (error instanceof InvalidCredentialsError) throw detail(401, 'No active account found with the given credentials', BEARER);
      throw error;
    }
  });

  router.post('/jwt/refresh{/}', async (req, res) => {
    const { refresh } = parseBody({ refresh: charField() }, req.body);
    const checked = await jwt.verify(refresh!, 'refresh');
    if ('error' in checked) throw tokenNotValid(checked.error);
    // A deleted or deactivated account gets no new access token (simplejwt 5.2 would still issue one).
    const user = checked.claims.user_id === undefined ? null : await readModel.findUserById(checked.claims.user_id);
    if (!user?.isActive) throw new ApiError(401, { detail: 'No active account found for the given token.', code: 'no_active_account' }, BEARER);
    res.json({ access: await jwt.issue('access', user.id, { iat: checked.claims.iat }) });
  });

  router.post('/jwt/verify{/}', async (req, res) => {
    const { token } = parseBody({ token: charField() }, req.body);
    const checked = await jwt.verify(token!);
    if ('error' in checked) throw tokenNotValid(checked.error);
    res.json({});
  });

  return router;
}
