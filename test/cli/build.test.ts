// Build once: `npm start` (prestart: build.mjs --if-stale) runs tsc only when the sources changed since the last build.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkStale, ENTRY, ROOT, sourceState, writeStamp } from '../../src/cli/build.mjs';

/** A package root with sources, and a stand-in for TypeScript that counts its runs and "compiles" the entry. */
async function fakeProject(withTypescript = true): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'authstream-build-'));
  await mkdir(path.join(root, 'src/cli'), { recursive: true });
  await mkdir(path.join(root, 'src/auth'), { recursive: true });
  await mkdir(path.join(root, 'templates/email/en'), { recursive: true });
  await copyFile(path.join(ROOT, 'src/cli/build.mjs'), path.join(root, 'src/cli/build.mjs'));
  await writeFile(path.join(root, 'package.json'), '{"type": "module"}');
  await writeFile(path.join(root, 'tsconfig.build.json'), '{}');
  await writeFile(path.join(root, 'src/main.ts'), 'export {};\n');
  await writeFile(path.join(root, 'src/auth/words.txt.gz'), 'data');
  await writeFile(path.join(root, 'templates/email/en/activation.txt.liquid'), 'hello');
  if (withTypescript) {
    await mkdir(path.join(root, 'node_modules/typescript/bin'), { recursive: true });
    await writeFile(path.join(root, 'node_modules/typescript/package.json'), '{"name": "typescript"}');
    await writeFile(
      path.join(root, 'node_modules/typescript/bin/tsc'),
      `const fs = require('node:fs');
fs.appendFileSync('tsc-runs', 'run\\n');
fs.mkdirSync('dist/src/cli', { recursive: true });
fs.writeFileSync('${ENTRY}', '#!/usr/bin/env node\\n');
`,
    );
  }
  return root;
}

const buildScript = (root: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'src/cli/build.mjs'), ...args], { cwd: root, encoding: 'utf8' });
const tscRuns = async (root: string) =>
  (await readFile(path.join(root, 'tsc-runs'), 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

describe('build once', () => {
  const roots: string[] = [];
  let root: string;
  before(async () => {
    root = await fakeProject();
    roots.push(root);
  });
  after(() => Promise.all(roots.map((r) => rm(r, { recursive: true, force: true }))));

  it('a second start with nothing changed does not run tsc; a changed source does', async () => {
    const first = buildScript(root, '--if-stale');
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /building \(no build yet\)/);
    assert.equal(await tscRuns(root), 1);
    assert.equal(await readFile(path.join(root, 'dist/src/auth/words.txt.gz'), 'utf8'), 'data', 'assets copied');

    const second = buildScript(root, '--if-stale');
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /up to date/);
    assert.equal(await tscRuns(root), 1, 'tsc did not run again');
    assert.equal(buildScript(root, '--if-stale', '--quiet').stderr, '', '--quiet says nothing when fresh');

    const later = new Date(Date.now() + 5_000);
    await utimes(path.join(root, 'src/main.ts'), later, later);
    const third = buildScript(root, '--if-stale');
    assert.match(third.stderr, /building \(src\/main\.ts changed since the last build\)/);
    assert.equal(await tscRuns(root), 2);

    const plain = buildScript(root); // npm run build: always
    assert.equal(plain.status, 0);
    assert.equal(await tscRuns(root), 3);
  });

  it('is stale when a source is added, removed or replaced, when a template changes, or when the entry is gone', async () => {
    await writeStamp(root, await sourceState(root));
    assert.equal((await checkStale(root)).stale, false);

    await writeFile(path.join(root, 'src/new.ts'), 'export {};\n');
    assert.equal((await checkStale(root)).stale, true, 'a new file');
    await writeStamp(root, await sourceState(root));
    await unlink(path.join(root, 'src/new.ts'));
    assert.match((await checkStale(root)).reason, /added, removed or replaced/);
    await writeStamp(root, await sourceState(root));

    const old = new Date('2020-01-01T00:00:00Z');
    await writeFile(path.join(root, 'templates/email/en/activation.txt.liquid'), 'hello again');
    await utimes(path.join(root, 'templates/email/en/activation.txt.liquid'), old, old); // older than the stamp, yet different
    assert.equal((await checkStale(root)).stale, true);
    await writeStamp(root, await sourceState(root));

    await unlink(path.join(root, ENTRY));
    assert.deepEqual(await checkStale(root), { stale: true, reason: `${ENTRY} is missing` });
  });

  it('at install (prepare) without TypeScript it skips, and a failed build does not fail the install', async () => {
    const production = await fakeProject(false);
    roots.push(production);
    const skipped = buildScript(production, '--prepare');
    assert.equal(skipped.status, 0);
    assert.match(skipped.stderr, /skipped at install \(TypeScript is not installed/);
    // ... but npm start (--if-stale) on it fails loudly rather than running nothing.
    const start = buildScript(production, '--if-stale');
    assert.equal(start.status, 1);
    assert.match(start.stderr, /TypeScript is not installed/);

    const broken = await fakeProject();
    roots.push(broken);
    await writeFile(path.join(broken, 'node_modules/typescript/bin/tsc'), 'process.exit(2);\n');
    const failed = buildScript(broken, '--prepare');
    assert.equal(failed.status, 0);
    assert.match(failed.stderr, /tsc failed .*`npm start` will try again/s);
    assert.equal((await checkStale(broken)).stale, true, 'no stamp for a failed build');
    assert.equal(buildScript(broken, '--if-stale').status, 2, 'npm start stops on a failed build');
  });
});
