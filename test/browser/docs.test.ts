// The docs page in a real browser: Debian's Chromium, headless, driven by playwright-core. It lists every documented
// operation, and Swagger UI's "Try it out" on POST /auth/users/ registers a user the API then logs in. The browser
// only talks to 127.0.0.1: names resolve nowhere else, and any request elsewhere is aborted and fails the test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { useService } from '../support/service.js';
import { PASSWORD, unique } from '../http/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

/** As test/support/skip.ts does for absent servers: say so, with the reason, and skip only then. */
function chromiumMissing(): string | false {
  if (existsSync(CHROMIUM)) return false;
  const reason = `SKIPPED: Swagger UI in a real browser: ${CHROMIUM} is absent, chromium is not installed`;
  console.log(reason);
  return reason;
}

const missing = chromiumMissing();
const NAME = 'lists every operation and registers a user through "Try it out" on POST /auth/users/';

describe('the docs page in Chromium', () => {
  const svc = useService();

  const test = async () => {
    const doc = (await (await fetch(`${svc.url}/auth/schema/`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) => ['get', 'post', 'put', 'patch', 'delete'].filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    assert.ok(new URL(svc.url).hostname === '127.0.0.1', svc.url);
    const username = unique('ui');

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const context = await browser.newContext({ serviceWorkers: 'block' });
      const outside: string[] = [];
      await context.route('**/*', async (route) => {
        const url = new URL(route.request().url());
        if (url.hostname === '127.0.0.1' && url.origin === new URL(svc.url).origin) return route.continue();
        outside.push(url.href);
        await route.abort('blockedbyclient');
      });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(String(error)));
      // A Content-Security-Policy violation is reported here.
      page.on('console', (message) => void (message.type() === 'error' && pageErrors.push(message.text())));
      const failed: string[] = [];
      page.on('response', (response) => {
        if (response.status() >= 400 && !response.url().endsWith('/auth/users/')) failed.push(`${response.status()} ${response.url()}`);
      });

      await page.goto(`${svc.url}/auth/docs/`);
      await page.locator('.opblock').first().waitFor();
      await page.getByText('authstream', { exact: false }).first().waitFor();

      // Every documented operation is listed, and nothing else.
      const listed = await page
        .locator('.opblock')
        .evaluateAll((blocks) =>
          blocks.map(
            (b) =>
              `${b.querySelector('.opblock-summary-method')?.textContent?.trim()} ${b.querySelector('.opblock-summary-path')?.getAttribute('data-path')}`,
          ),
        );
      assert.deepEqual(listed.sort(), documented);

      // Try it out: register through Swagger UI.
      const op = page.locator('#operations-users-users_create');
      await op.locator('.opblock-summary').first().click();
      await op.getByRole('button', { name: 'Try it out' }).click();
      const editor = op.locator('textarea.body-param__text');
      await editor.waitFor();
      const example = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(example).sort(), ['email', 'password', 'username'], 'the example body has the declared fields');
      await editor.fill(JSON.stringify({ username, email: `${username}@example.com`, password: PASSWORD }));
      await op.getByRole('button', { name: 'Execute' }).click();
      const status = op.locator('.live-responses-table .response .response-col_status').first();
      await status.waitFor();
      assert.equal((await status.textContent())?.trim(), '201');
      const shown = await op.locator('.live-responses-table .response-col_description pre').first().textContent();
      assert.match(shown ?? '', new RegExp(`"username": "${username}"`));

      assert.deepEqual(outside, [], 'the page asked for nothing beyond the service');
      assert.deepEqual(pageErrors, []);
      assert.deepEqual(failed, []);
    } finally {
      await browser.close();
    }

    // The user exists: it logs in through the API.
    const login = await svc.call('POST', '/auth/token/login/', { username, password: PASSWORD });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(typeof login.body.auth_token, 'string');
  };

  if (missing) it(NAME, { skip: missing }, test);
  else it(NAME, { timeout: 120_000 }, test);
});
