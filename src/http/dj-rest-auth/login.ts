// login/ and logout/ (dj_rest_auth/views.py LoginView, LogoutView; serializers.py LoginSerializer).
import { DomainError } from '../../commands/decider.js';
import type { LoginBy } from '../../commands/tokens.js';
import { ApiError } from '../errors.js';
import { method, type Endpoint, type EndpointRequest, type Reply, type ThrottleSpec } from '../endpoint.js';
import { charField, emailField, type Fields } from '../fields.js';
import { loginThrottles } from '../routes/actions.js';
import { cookiesOf } from './authenticate.js';
import { setCookie, withCookies } from './cookies.js';
import { CSRF_COOKIE, CSRF_COOKIE_AGE, newCsrfToken } from './csrf.js';
import { detailBody, endpoint, expiration, present, userBody, type SurfaceDeps } from './deps.js';
import { djRestAuthMessages } from './errors.js';
import { z } from 'zod';

const nfe = (message: string) => new ApiError(400, { non_field_errors: [message] });

export function loginEndpoints(deps: SurfaceDeps): Endpoint[] {
  const { config, useCases, cookies } = deps;
  const { tokens } = useCases;
  const jwt = config.REST_AUTH_USE_JWT;
  const by = config.ACCOUNT_AUTHENTICATION_METHOD;
  const throttles: readonly ThrottleSpec[] =
    by === 'username_email'
      ? [...loginThrottles('username'), { scope: 'login_account', by: { field: 'email' }, refundOnSuccess: true }]
      : loginThrottles(by);

  /** LoginSerializer.validate's first step: the identifier the method needs (blank counts as missing). */
  function identifier(body: { username?: string | undefined; email?: string | undefined }): { login: string; by: LoginBy } {
    const { username, email } = body;
    if (by === 'email') {
      if (!email) throw nfe('Must include "email" and "password".');
      return { login: email, by: 'email' };
    }
    if (by === 'username') {
      if (!username) throw nfe('Must include "username" and "password".');
      return { login: username, by: 'username' };
    }
    // Either: the email wins when both are given; a username is also tried as an email.
    if (email) return { login: email, by: 'email' };
    if (username) return { login: username, by: 'username_email' };
    throw nfe('Must include either "username" or "email" and "password".');
  }

  async function logIn(req: EndpointRequest<Fields>): Promise<Reply> {
    const body = req.body as { username?: string; email?: string; password?: string };
    const who = identifier(body);
    const options = {
      by: who.by,
      // SESSION_LOGIN's Django login is what stamps last_login; without it dj-rest-auth's login does not.
      recordLastLogin: config.REST_AUTH_SESSION_LOGIN,
      requireVerifiedEmail: config.ACCOUNT_EMAIL_VERIFICATION === 'mandatory',
    };
    if (!jwt) {
      const { account } = await tokens.logIn(who.login, body.password!, { ...options, method: 'token', drfToken: true }, req.metadata);
      return { status: 200, body: { key: tokens.drfTokenKey(account) } };
    }
    const method = cookies.accessName ? 'cookie' : 'jwt';
    const { account, sessionId } = await tokens.logIn(who.login, body.password!, { ...options, method, session: true }, req.metadata);
    const pair = await tokens.tokenPair(account, sessionId!);
    const now = new Date();
    const reply = {
      access: pair.access,
      // JWT_AUTH_HTTPONLY: the refresh token is only in its cookie (or, without one, nowhere).
      refresh: config.REST_AUTH_JWT_AUTH_HTTPONLY ? '' : pair.refresh,
      user: present(account),
      ...(config.REST_AUTH_JWT_AUTH_RETURN_EXPIRATION
        ? {
            access_expiration: expiration(config.ACCESS_TOKEN_LIFETIME, now),
            refresh_expiration: expiration(config.REFRESH_TOKEN_LIFETIME, now),
          }
        : {}),
    };
    // With cookie authentication the client needs a CSRF token for its unsafe requests (Django's login rotates it).
    const csrf = cookies.accessName
      ? [
          setCookie(
            CSRF_COOKIE,
            newCsrfToken(),
            {
              maxAgeSeconds: CSRF_COOKIE_AGE,
              path: '/',
              httpOnly: false,
              secure: config.REST_AUTH_JWT_AUTH_SECURE,
              sameSite: config.REST_AUTH_JWT_AUTH_SAMESITE,
            },
            now,
          ),
        ]
      : [];
    return { status: 200, body: reply, ...withCookies([...cookies.set(pair, now), ...csrf]) };
  }

  const blacklist = jwt && config.DJ_REST_AUTH_TOKEN_BLACKLIST;

  async function logOut(req: EndpointRequest<Fields>): Promise<Reply> {
    const loggedOut = { detail: djRestAuthMessages.loggedOut };
    // The DRF token of whoever is authenticated, by any scheme.
    if (req.principal) await tokens.tokenLogout(req.principal.user.id, req.metadata);
    if (!jwt) return { status: 200, body: loggedOut };
    const unset = withCookies(cookies.unset());
    if (blacklist) {
      // The body's refresh token, else (authstream: dj-rest-auth ignores it) the refresh cookie's.
      const raw = req.rawBody;
      const refresh = Object.hasOwn(raw, 'refresh')
        ? raw.refresh
        : cookies.refreshName
          ? cookiesOf(req.headers)[cookies.refreshName]
          : undefined;
      if (refresh === undefined) return { status: 401, body: { detail: 'Refresh token was not included in request data.' }, ...unset };
      try {
        if (typeof refresh !== 'string') throw new DomainError('token_not_valid');
        await tokens.jwtBlacklist(refresh, req.metadata);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        const message =
          error.code === 'token_not_valid' ? (error.details.message ?? 'Token is invalid or expired') : 'Token is invalid or expired';
        // These 401s are dj-rest-auth's own: no WWW-Authenticate. An access token is a 401 here too (dj-rest-auth: 500).
        return { status: 401, body: { detail: message }, ...unset };
      }
      return { status: 200, body: loggedOut, ...unset };
    }
    if (!cookies.accessName) {
      const neither =
        'Neither cookies or blacklist are enabled, so the token has not been deleted server side. Please make sure the token is deleted client side.';
      return { status: 200, body: { detail: neither } };
    }
    return { status: 200, body: loggedOut, ...unset };
  }

  const logout = method({
    permission: 'allowAny',
    // Only the blacklist reads the body (request.data['refresh']).
    readsNoBody: !blacklist,
    doc: {
      summary: 'Log out',
      description: 'Deletes the DRF token; in JWT mode clears the cookies and blacklists the refresh token (body, else cookie).',
      responses: {
        200: { description: 'Logged out.', body: detailBody },
        401: { description: 'The refresh token is missing or invalid.' },
      },
    },
    handle: logOut,
  });

  const loginBody = jwt
    ? z.object({
        access: z.string(),
        refresh: z.string(),
        user: userBody,
        access_expiration: z.string().optional(),
        refresh_expiration: z.string().optional(),
      })
    : z.object({ key: z.string() });

  return [
    endpoint(deps, '/login/', {
      POST: method({
        permission: 'allowAny',
        throttles,
        fields: {
          username: charField({ required: false, allowBlank: true }),
          email: emailField({ required: false, allowBlank: true }),
          password: charField(),
        },
        doc: {
          summary: 'Log in',
          description: jwt ? 'A JWT pair (and the cookies, where configured).' : 'The DRF token.',
          responses: { 200: { description: 'Logged in.', body: loginBody } },
        },
        handle: logIn,
      }),
    }),
    // LogoutView always has get(): without ACCOUNT_LOGOUT_ON_GET it answers 405 itself (after authentication).
    endpoint(deps, '/logout/', {
      POST: logout,
      GET: config.ACCOUNT_LOGOUT_ON_GET
        ? logout
        : method({
            permission: 'allowAny',
            readsNoBody: true,
            doc: {
              summary: 'Log out (only with ACCOUNT_LOGOUT_ON_GET)',
              responses: { 405: { description: 'ACCOUNT_LOGOUT_ON_GET is off.' } },
            },
            handle: async () => ({
              status: 405,
              body: { detail: 'Method "GET" not allowed.' },
              headers: { Allow: 'GET, POST, HEAD, OPTIONS' },
            }),
          }),
    }),
  ];
}
