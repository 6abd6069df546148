// The OpenAPI 3.1 document at /auth/schema/ (generated from the endpoint declarations), the AsyncAPI document beside
// it and the docs page's files. What the document says is checked against the declarations (every path and method)
// and against the running service (required fields, security, response bodies).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { buildAsyncApi } from '../../src/amqp/asyncapi.js';
import { restSurfaces } from '../../src/http/app.js';
import type { Endpoint } from '../../src/http/endpoint.js';
import { useService, type TestService } from '../support/service.js';
import { PASSWORD, auth, register, unique } from './helpers.js';

type Json = Record<string, any>;
const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const REQUIRED = 'This field is required.';

/** The djoser surface as the app declares it for this configuration (the handlers are never run here). */
function declarations(env: Record<string, string>): Endpoint[] {
  const inert: any = new Proxy(() => inert, { get: () => inert, apply: () => inert });
  const surfaces = restSurfaces({ config: loadConfig({ PORT: '0', DATA_DIR: '/nonexistent', ...env }), useCases: inert });
  assert.deepEqual(
    surfaces.map((s) => s.prefix),
    ['/auth'],
    'one surface, under /auth/ (a second one needs its prefix below)',
  );
  return surfaces.flatMap((s) => s.endpoints);
}

/** `METHOD /auth/path/` of every declared method, path parameters as OpenAPI spells them. */
const declaredOperations = (endpoints: readonly Endpoint[]) =>
  [
    ...new Set(endpoints.flatMap((e) => Object.keys(e.methods).map((m) => `${m} /auth${e.path.replace(/:([A-Za-z_]\w*)/g, '{$1}')}`))),
  ].sort();

const documentedOperations = (doc: Json) =>
  Object.entries(doc.paths as Json)
    .flatMap(([path, item]) => HTTP_METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();

const operations = (doc: Json) =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => item[m]).map((m) => ({ path, method: m.toUpperCase(), op: item[m] as Json })),
  );

const operation = (doc: Json, method: string, path: string): Json => {
  const op = doc.paths[path]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${path} is documented`);
  return op;
};

/** Follows a local `$ref`. */
function deref(doc: Json, value: Json): Json {
  let current = value;
  for (let hops = 0; typeof current?.$ref === 'string'; hops++) {
    assert.ok(hops < 10, `a $ref cycle at ${current.$ref}`);
    assert.match(current.$ref, /^#\//);
    current = current.$ref
      .slice(2)
      .split('/')
      .reduce((node: any, key: string) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    assert.ok(current, `${value.$ref} resolves`);
  }
  return current;
}

/** Every `$ref` in the document points at something. */
function assertRefsResolve(doc: Json, node: unknown = doc): void {
  if (Array.isArray(node)) return node.forEach((n) => assertRefsResolve(doc, n));
  if (typeof node !== 'object' || node === null) return;
  if (typeof (node as Json).$ref === 'string') deref(doc, node as Json);
  for (const value of Object.values(node)) assertRefsResolve(doc, value);
}

/** Checks a value against the JSON-schema subset the document uses; returns the problems. */
function problems(doc: Json, schema: Json, value: unknown, at = '$'): string[] {
  const s = deref(doc, schema);
  if (s.anyOf) {
    const each = (s.anyOf as Json[]).map((alt) => problems(doc, alt, value, at));
    return each.some((p) => p.length === 0) ? [] : [`${at}: matches none of anyOf (${each.flat().join('; ')})`];
  }
  const type = s.type as string | undefined;
  const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (type === 'integer' ? !Number.isInteger(value) : type !== undefined && type !== actual) {
    return [`${at}: expected ${type}, got ${actual}`];
  }
  if (type === 'string' && s.maxLength !== undefined && [...(value as string)].length > s.maxLength) return [`${at}: too long`];
  if (type === 'array') return (value as unknown[]).flatMap((v, i) => (s.items ? problems(doc, s.items, v, `${at}[${i}]`) : []));
  if (type !== 'object') return [];
  const object = value as Json;
  const out = ((s.required ?? []) as string[]).filter((k) => !(k in object)).map((k) => `${at}.${k}: missing`);
  for (const [k, v] of Object.entries(object)) {
    if (s.properties?.[k]) out.push(...problems(doc, s.properties[k], v, `${at}.${k}`));
    else if (s.additionalProperties === false) out.push(`${at}.${k}: not documented`);
    else if (typeof s.additionalProperties === 'object') out.push(...problems(doc, s.additionalProperties, v, `${at}.${k}`));
  }
  return out;
}

/** A response of the service matches what the document says for its operation and status. */
function assertDocumented(doc: Json, method: string, path: string, res: { status: number; body: unknown }): void {
  const responses = operation(doc, method, path).responses as Json;
  const declared = responses[String(res.status)] ?? responses[`${String(res.status)[0]}XX`];
  assert.ok(declared, `${method} ${path} documents ${res.status} (it documents ${Object.keys(responses).join(', ')})`);
  const response = deref(doc, declared);
  const schema = response.content?.['application/json']?.schema;
  if (res.body === undefined || res.body === null || res.body === '')
    return assert.equal(schema, undefined, `${method} ${path} ${res.status} has a body`);
  assert.ok(schema, `${method} ${path} ${res.status} documents its body`);
  assert.deepEqual(problems(doc, schema, res.body), [], `${method} ${path} ${res.status}: ${JSON.stringify(res.body)}`);
}

async function fetchDocument(svc: TestService): Promise<Json> {
  const res = await fetch(`${svc.url}/auth/schema/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return (await res.json()) as Json;
}

/** The assertions every configuration must pass. */
function documentsTheSurface(svc: TestService, env: Record<string, string>) {
  it('is a valid OpenAPI 3.1 document whose every $ref resolves', async () => {
    const doc = await fetchDocument(svc);
    const validator = new Validator();
    const result = await validator.validate(doc);
    assert.ok(result.valid, JSON.stringify(result.errors, null, 2));
    assert.equal(validator.version, '3.1');
    assertRefsResolve(doc);
  });

  it('documents every declared path and method, and nothing else', async () => {
    const expected = declaredOperations(declarations(env));
    assert.ok(expected.includes('POST /auth/users/') && expected.length > 10, `the declarations: ${expected.join(', ')}`);
    assert.deepEqual(documentedOperations(await fetchDocument(svc)), expected);
  });

  it('request bodies are the declared fields, JSON and form-encoded, required as the service requires them', async () => {
    const doc = await fetchDocument(svc);
    const byPath = new Map<string, Endpoint[]>();
    for (const e of declarations(env)) byPath.set(e.path, [...(byPath.get(e.path) ?? []), e]);
    const user = await register(svc, { extra: { re_password: PASSWORD } });
    const token = (await svc.call('POST', '/auth/token/login/', { username: user.username, email: user.email, password: PASSWORD })).body
      .auth_token as string;
    let checked = 0;
    for (const { path, method, op } of operations(doc)) {
      const declared = [...byPath.entries()]
        .filter(([p]) => `/auth${p.replace(/:(\w+)/g, '{$1}')}` === path)
        .flatMap(([, es]) => es)
        .map((e) => e.methods[method as keyof Endpoint['methods']])
        .find(Boolean);
      const fields = Object.keys(declared?.fields ?? {});
      if (!fields.length) {
        assert.equal(op.requestBody, undefined, `${method} ${path} takes no fields`);
        continue;
      }
      const json = deref(doc, op.requestBody.content['application/json'].schema);
      assert.deepEqual(deref(doc, op.requestBody.content['application/x-www-form-urlencoded'].schema), json);
      assert.deepEqual(Object.keys(json.properties), fields, `${method} ${path}: the declared fields, in order`);
      const required = (json.required ?? []) as string[];
      assert.equal(op.requestBody.required, required.length > 0);
      if (!required.length || path.includes('{')) continue;
      // An empty body: the service names exactly the documented required fields.
      const res = await svc.call(method, path, {}, op.security.some((s: Json) => Object.keys(s).length === 0) ? {} : auth(token));
      // A regular user may be refused before validation (an admin-only method): nothing to compare then.
      if (res.status === 403) continue;
      assert.equal(res.status, 400, `${method} ${path} {} → ${res.status} ${JSON.stringify(res.body)}`);
      const missing = Object.keys(res.body).filter((k) => Array.isArray(res.body[k]) && res.body[k].includes(REQUIRED));
      assert.deepEqual(missing.sort(), [...required].sort(), `${method} ${path}: ${JSON.stringify(res.body)}`);
      assertDocumented(doc, method, path, res);
      checked++;
    }
    assert.ok(checked >= 5, `${checked} endpoints checked with an empty body`);
  });

  it('security follows the permission: operations without an anonymous option answer 401 to anonymous requests', async () => {
    const doc = await fetchDocument(svc);
    const schemes = Object.keys(doc.components.securitySchemes);
    assert.deepEqual(doc.components.securitySchemes.Token, {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: doc.components.securitySchemes.Token.description,
    });
    assert.match(doc.components.securitySchemes.Token.description, /Token <key>/);
    const byPath = new Map(declarations(env).map((e) => [`/auth${e.path.replace(/:(\w+)/g, '{$1}')}`, e]));
    for (const { path, method, op } of operations(doc)) {
      const requirements = op.security as Json[];
      for (const r of requirements) for (const name of Object.keys(r)) assert.ok(schemes.includes(name), `${name} is a scheme`);
      const endpoint = [...byPath.entries()].find(([p]) => p === path)?.[1];
      if (endpoint?.authenticates === false) assert.deepEqual(requirements, [], `${method} ${path} ignores Authorization`);
      const anonymous = requirements.length === 0 || requirements.some((r) => Object.keys(r).length === 0);
      if (anonymous) continue;
      const res = await svc.call(method, path.replace(/\{\w+\}/g, '1'), method === 'GET' ? undefined : {});
      assert.equal(res.status, 401, `${method} ${path} anonymous → ${res.status}`);
      assertDocumented(doc, method, path, res);
    }
  });

  it('YAML with ?format=yaml, the same document; an unknown format is a 404', async () => {
    const json = await fetchDocument(svc);
    const res = await fetch(`${svc.url}/auth/schema/?format=yaml`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/yaml/);
    assert.deepEqual(parseYaml(await res.text()), json);
    assert.equal((await fetch(`${svc.url}/auth/schema/?format=xml`)).status, 404);
  });
}

describe('OpenAPI document: default configuration', () => {
  const svc = useService();
  documentsTheSurface(svc, {});

  it('fields carry their types: string, email format, max lengths, the username pattern', async () => {
    const doc = await fetchDocument(svc);
    const body = deref(doc, operation(doc, 'POST', '/auth/users/').requestBody.content['application/json'].schema);
    assert.deepEqual(body.properties.email, { type: 'string', maxLength: 254, format: 'email' });
    assert.equal(body.properties.username.type, 'string');
    assert.equal(body.properties.username.maxLength, 150);
    assert.equal(body.properties.username.minLength, 1);
    assert.match('jose.garcia+1@x', new RegExp(body.properties.username.pattern, 'u'));
    assert.doesNotMatch('no spaces', new RegExp(body.properties.username.pattern, 'u'));
    assert.deepEqual(body.properties.password, { type: 'string', minLength: 1 });
    assert.deepEqual(body.required, ['username', 'password']);
    const login = deref(doc, operation(doc, 'POST', '/auth/token/login/').requestBody.content['application/json'].schema);
    assert.deepEqual(Object.keys(login.properties), ['password', 'username']);
    assert.equal(login.required, undefined);
  });

  it('security: Token and the JWT header types; anonymous allowed on AllowAny; none on simplejwt views', async () => {
    const doc = await fetchDocument(svc);
    assert.deepEqual(doc.components.securitySchemes.Bearer, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: doc.components.securitySchemes.Bearer.description,
    });
    assert.equal(doc.components.securitySchemes.JWT.type, 'apiKey');
    const credentials = [{ Token: [] }, { Bearer: [] }, { JWT: [] }];
    assert.deepEqual(operation(doc, 'GET', '/auth/users/me/').security, credentials);
    assert.deepEqual(operation(doc, 'POST', '/auth/users/').security, [...credentials, {}]);
    assert.deepEqual(operation(doc, 'POST', '/auth/jwt/create/').security, []);
  });

  it('success bodies are documented and are what the service sends', async () => {
    const doc = await fetchDocument(svc);
    const username = unique();
    const created = await svc.call('POST', '/auth/users/', { username, email: `${username}@example.com`, password: PASSWORD });
    assert.equal(created.status, 201);
    assertDocumented(doc, 'POST', '/auth/users/', created);
    const login = await svc.call('POST', '/auth/token/login/', { username, password: PASSWORD });
    assertDocumented(doc, 'POST', '/auth/token/login/', login);
    assert.deepEqual(Object.keys(deref(doc, { $ref: '#/components/schemas/AuthToken' }).properties), ['auth_token']);
    assertDocumented(doc, 'GET', '/auth/users/me/', await svc.call('GET', '/auth/users/me/', undefined, auth(login.body.auth_token)));
    const pair = await svc.call('POST', '/auth/jwt/create/', { username, password: PASSWORD });
    assertDocumented(doc, 'POST', '/auth/jwt/create/', pair);
    assert.deepEqual(deref(doc, { $ref: '#/components/schemas/TokenPair' }).required, ['refresh', 'access']);
    assertDocumented(doc, 'POST', '/auth/jwt/refresh/', await svc.call('POST', '/auth/jwt/refresh/', { refresh: pair.body.refresh }));
    assertDocumented(doc, 'POST', '/auth/jwt/verify/', await svc.call('POST', '/auth/jwt/verify/', { token: pair.body.access }));
    assertDocumented(
      doc,
      'POST',
      '/auth/token/logout/',
      await svc.call('POST', '/auth/token/logout/', undefined, auth(login.body.auth_token)),
    );
  });

  it("DRF's error bodies are shared components, and what the service sends", async () => {
    const doc = await fetchDocument(svc);
    const { responses } = doc.components;
    for (const name of [
      'ValidationError',
      'NotAuthenticated',
      'PermissionDenied',
      'NotFound',
      'MethodNotAllowed',
      'UnsupportedMediaType',
      'Throttled',
      'ServiceUnavailable',
    ]) {
      assert.ok(responses[name]?.content['application/json'].schema, name);
    }
    assert.deepEqual(doc.components.schemas.FieldErrors.additionalProperties, { type: 'array', items: { type: 'string' } });
    assert.deepEqual(doc.components.schemas.Detail.required, ['detail']);
    const users = operation(doc, 'POST', '/auth/users/').responses;
    assert.deepEqual(users['400'], { $ref: '#/components/responses/ValidationError' });
    assert.deepEqual(users['415'], { $ref: '#/components/responses/UnsupportedMediaType' });
    assert.equal(deref(doc, users['503']).headers['Retry-After'].schema.type, 'integer');

    const taken = await register(svc);
    assertDocumented(doc, 'POST', '/auth/users/', await svc.call('POST', '/auth/users/', { username: taken.username, password: PASSWORD }));
    const badJson = await fetch(`${svc.url}/auth/users/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{' });
    assertDocumented(doc, 'POST', '/auth/users/', { status: badJson.status, body: await badJson.json() });
    const text = await fetch(`${svc.url}/auth/users/`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
    assertDocumented(doc, 'POST', '/auth/users/', { status: text.status, body: await text.json() });
    const token = (await svc.call('POST', '/auth/token/login/', { username: taken.username, password: PASSWORD })).body.auth_token;
    assertDocumented(doc, 'GET', '/auth/users/{id}/', await svc.call('GET', `/auth/users/${taken.id}/`, undefined, auth(token)));
    assertDocumented(
      doc,
      'POST',
      '/auth/jwt/create/',
      await svc.call('POST', '/auth/jwt/create/', { username: taken.username, password: 'wrong' }),
    );
    const invalid = await svc.call('POST', '/auth/users/activation/', { uid: 'x', token: 'y' });
    assertDocumented(doc, 'POST', '/auth/users/activation/', invalid);
    assert.ok(operation(doc, 'POST', '/auth/users/activation/').responses['403'].description.includes('Stale'));
    const wrongMethod = await svc.call('POST', '/auth/users/me/', {}, auth(token));
    assert.equal(wrongMethod.status, 405);
    assert.deepEqual(problems(doc, responses.MethodNotAllowed.content['application/json'].schema, wrongMethod.body), []);
  });

  it('operation ids are unique, tags name each path family', async () => {
    const doc = await fetchDocument(svc);
    const ids = operations(doc).map((o) => o.op.operationId as string);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(operation(doc, 'PATCH', '/auth/users/me/').operationId, 'users_me_partial_update');
    assert.equal(operation(doc, 'POST', '/auth/users/').operationId, 'users_create');
    assert.deepEqual(operation(doc, 'POST', '/auth/jwt/create/').tags, ['jwt']);
    assert.deepEqual(doc.tags.map((t: Json) => t.name).sort(), [...new Set(operations(doc).flatMap((o) => o.op.tags))].sort());
  });

  it('the document is built once and served the same every time', async () => {
    const a = await (await fetch(`${svc.url}/auth/schema/`)).text();
    const b = await (await fetch(`${svc.url}/auth/schema/`)).text();
    assert.equal(a, b);
    const post = await fetch(`${svc.url}/auth/schema/`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD, OPTIONS');
  });

  it('the AsyncAPI document of the published events is served beside it', async () => {
    const res = await fetch(`${svc.url}/auth/asyncapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const served = (await res.json()) as Json;
    assert.equal(served.asyncapi, '3.0.0');
    assert.deepEqual(served, buildAsyncApi({ version: served.info.version }));
    const yaml = await fetch(`${svc.url}/auth/asyncapi.json?format=yaml`);
    assert.deepEqual(parseYaml(await yaml.text()), served);
  });

  it('the docs page and its Swagger UI assets are served locally, with no external URL', async () => {
    const redirect = await fetch(`${svc.url}/auth/docs`, { redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get('location'), '/auth/docs/');
    const page = await fetch(`${svc.url}/auth/docs/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.doesNotMatch(html, /https?:\/\//);
    assert.doesNotMatch(html, /<script>|<style>|style=/, 'no inline script or style (a strict CSP can apply)');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(refs.includes('swagger-ui-bundle.js') && refs.includes('init.js') && refs.includes('swagger-ui.css'), refs.join(' '));
    for (const ref of refs) {
      const res = await fetch(new URL(ref, `${svc.url}/auth/docs/`));
      assert.equal(res.status, 200, ref);
      const type = res.headers.get('content-type') ?? '';
      const body = await res.text();
      assert.ok(body.length > 0, ref);
      if (ref.endsWith('.js')) assert.match(type, /javascript/, ref);
      if (ref.endsWith('.css')) assert.match(type, /^text\/css/, ref);
    }
    const init = await (await fetch(`${svc.url}/auth/docs/init.js`)).text();
    assert.match(init, /validatorUrl: null/);
    assert.match(init, /'\.\.\/schema\/'/);
    for (const hidden of ['index.html', 'swagger-initializer.js', 'package.json', '..%2F..%2Fpackage.json']) {
      assert.equal((await fetch(`${svc.url}/auth/docs/${hidden}`)).status, 404, hidden);
    }
  });
});

describe('OpenAPI document: follows the configuration', () => {
  const env = {
    LOGIN_FIELD: 'email',
    USER_CREATE_PASSWORD_RETYPE: 'true',
    SET_PASSWORD_RETYPE: 'true',
    AUTH_HEADER_TYPES: 'JWT',
    AMQP_EXCHANGE: 'accounts.events',
  };
  const svc = useService(env);
  documentsTheSurface(svc, env);

  it('LOGIN_FIELD names the login field, *_RETYPE adds the retyped fields', async () => {
    const doc = await fetchDocument(svc);
    const body = (method: string, path: string) =>
      deref(doc, operation(doc, method, path).requestBody.content['application/json'].schema) as Json;
    assert.deepEqual(Object.keys(body('POST', '/auth/token/login/').properties), ['password', 'email']);
    assert.deepEqual(Object.keys(body('POST', '/auth/jwt/create/').properties), ['email', 'password']);
    assert.deepEqual(body('POST', '/auth/jwt/create/').required, ['email', 'password']);
    assert.ok(body('POST', '/auth/users/').required.includes('re_password'));
    assert.ok(body('POST', '/auth/users/').required.includes('email'), 'the login field is required');
    assert.ok('re_new_password' in body('POST', '/auth/users/set_password/').properties);
  });

  it('AUTH_HEADER_TYPES=JWT: no Bearer scheme, a JWT one', async () => {
    const doc = await fetchDocument(svc);
    assert.deepEqual(Object.keys(doc.components.securitySchemes), ['Token', 'JWT']);
    assert.deepEqual(operation(doc, 'GET', '/auth/users/me/').security, [{ Token: [] }, { JWT: [] }]);
  });

  it('the AsyncAPI document names the configured exchange', async () => {
    const served = (await (await fetch(`${svc.url}/auth/asyncapi.json`)).json()) as Json;
    assert.deepEqual(served, buildAsyncApi({ exchange: 'accounts.events', version: served.info.version }));
  });
});
