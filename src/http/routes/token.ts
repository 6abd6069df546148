// djoser's token endpoints (DRF authtoken): token/login/ and token/logout/.
import { Router } from 'express';
import type { Config } from '../../config.js';
import type { AccountService } from '../../commands/accounts.js';
import { InvalidCredentialsError } from '../../commands/accounts.js';
import { charField, parseBody } from '../fields.js';
import { requirePrincipal } from '../authenticate.js';

export function tokenRouter({ config, accounts }: { config: Config; accounts: AccountService }): Router {
  const router = Router({ strict: true, caseSensitive: true });

  router.post('/token/login{/}', async (req, res) => {
    // Both fields are optional in djoser's TokenCreateSerializer: a missing one is just bad credentials. It declares
    // `password` and adds the login field in __init__, so password errors come first.
    const body = parseBody({ password: charField({ required: false }), [config.LOGIN_FIELD]: charField({ required: false }) }, req.body);
    const login = body[config.LOGIN_FIELD];
    if (login === undefined || body.password === undefined) throw new InvalidCredentialsError();
    res.json({ auth_token: await accounts.tokenLogin(login, body.password) });
  });

  router.post('/token/logout{/}', async (_req, res) => {
    await accounts.tokenLogout(requirePrincipal(res).user.id);
    res.status(204).end();
  });

  return router;
}
