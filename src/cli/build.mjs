// @ts-check
// Build once: `npm run build` compiles src/ into dist/ (tsc, ~12 s) and then writes a stamp, dist/.build-stamp.json,
// recording the sources it compiled (every file under src/ and templates/, and the tsconfig files: path, mtime and
// size, hashed). `--if-stale` (npm start's prestart, the CLI aliases, `prepare` at npm ci) builds only when the
// sources no longer match the stamp — stat()ing a few hundred files, a few milliseconds — so a start with nothing
// changed does not run tsc. Plain JavaScript with no dependencies on purpose: it must run before anything is built,
// and on a production install without TypeScript.
//
//   node src/cli/build.mjs                 build now
//   node src/cli/build.mjs --if-stale      build only if the sources changed since the last build
//   node src/cli/build.mjs --prepare       npm's `prepare` (at npm ci / npm install): --if-stale, but never fails the
//                                          install: without TypeScript (npm ci --omit=dev) it skips, and a failed
//                                          build is reported and left to the next `npm start` (no stamp is written)
//   --quiet                                say nothing when the build is fresh
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above this file (src/cli/). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Written after a successful build, read by the staleness check. */
export const STAMP = 'dist/.build-stamp.json';
/** What the build depends on: directories are walked, files stat()ed; missing ones count as empty. */
export const SOURCES = ['src', 'templates', 'tsconfig.json', 'tsconfig.build.json'];
/** The compiled bin; a stamp without it (dist/ partly deleted) is stale. */
export const ENTRY = 'dist/src/cli/main.js';
/** Files under src/ the build copies beside the compiled code (anything that is not code or docs). */
const NOT_ASSETS = /\.(?:[cm]?ts|mjs|md)$/;

/**
 * The state of the sources: every file's path, mtime and size, hashed (so an edit, a new, deleted or renamed
 * file all change it), and the newest mtime (for the message).
 * @param {string} root
 * @returns {Promise<{ digest: string, files: number, newest: { path: string, mtimeMs: number } | null }>}
 */
export async function sourceState(root = ROOT) {
  /** @type {{ rel: string, mtimeMs: number, size: number }[]} */
  const entries = [];
  /** @param {string} rel */
  const visit = async (rel) => {
    let info;
    try {
      info = await stat(path.join(root, rel));
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return;
      throw err;
    }
    if (info.isDirectory()) {
      const names = await readdir(path.join(root, rel));
      for (const name of names.sort()) await visit(`${rel}/${name}`);
    } else if (info.isFile()) {
      entries.push({ rel, mtimeMs: info.mtimeMs, size: info.size });
    }
  };
  for (const source of SOURCES) await visit(source);
  const hash = createHash('sha256');
  let newest = null;
  for (const e of entries) {
    hash.update(`${e.rel}\0${e.mtimeMs}\0${e.size}\n`);
    if (!newest || e.mtimeMs > newest.mtimeMs) newest = { path: e.rel, mtimeMs: e.mtimeMs };
  }
  return { digest: hash.digest('hex'), files: entries.length, newest };
}

/**
 * Whether dist/ was built from the sources as they are now, and if not, why.
 * @param {string} root
 * @returns {Promise<{ stale: boolean, reason: string }>}
 */
export async function checkStale(root = ROOT) {
  let stamp;
  try {
    stamp = JSON.parse(await readFile(path.join(root, STAMP), 'utf8'));
  } catch {
    return { stale: true, reason: 'no build yet' };
  }
  try {
    await stat(path.join(root, ENTRY));
  } catch {
    return { stale: true, reason: `${ENTRY} is missing` };
  }
  const now = await sourceState(root);
  if (stamp?.digest === now.digest) return { stale: false, reason: `built ${stamp.builtAt ?? ''} from ${now.files} files, unchanged` };
  if (now.newest && typeof stamp?.newestMtimeMs === 'number' && now.newest.mtimeMs > stamp.newestMtimeMs) {
    return { stale: true, reason: `${now.newest.path} changed since the last build` };
  }
  return { stale: true, reason: 'sources were added, removed or replaced since the last build' };
}

/**
 * Records that dist/ holds a build of `state` (taken before compiling, so an edit made during the build is not
 * mistaken for built).
 * @param {string} root
 * @param {Awaited<ReturnType<typeof sourceState>>} state
 */
export async function writeStamp(root, state) {
  await mkdir(path.join(root, 'dist'), { recursive: true });
  const stamp = { digest: state.digest, files: state.files, newestMtimeMs: state.newest?.mtimeMs ?? 0, builtAt: new Date().toISOString() };
  await writeFile(path.join(root, STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
}

/** @param {string} root */
function findTsc(root) {
  try {
    return createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

/**
 * Compiles, copies the assets, makes the bin executable, writes the stamp. Returns tsc's exit status.
 * @param {string} root
 * @param {(line: string) => void} say
 */
export async function build(root = ROOT, say = (line) => process.stderr.write(`${line}\n`)) {
  const tsc = findTsc(root);
  if (!tsc) {
    say('authstream build: TypeScript is not installed (a production install?): run `npm ci` with devDependencies, then `npm run build`');
    return 1;
  }
  const state = await sourceState(root);
  const started = Date.now();
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    say(`authstream build: tsc failed (${result.status ?? result.signal}); dist/ is not marked as built`);
    return result.status ?? 1;
  }
  await copyAssets(root, 'src');
  // The bin (npm sets the mode when it links a bin; this covers `node_modules/.bin`-less runs like ./dist/src/cli/main.js).
  await chmod(path.join(root, ENTRY), 0o755).catch(() => undefined);
  await writeStamp(root, state);
  say(`authstream build: compiled ${state.files} source files in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

/**
 * @param {string} root
 * @param {string} rel
 */
async function copyAssets(root, rel) {
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = `${rel}/${entry.name}`;
    if (entry.isDirectory()) await copyAssets(root, child);
    else if (entry.isFile() && !NOT_ASSETS.test(entry.name)) {
      await mkdir(path.join(root, 'dist', rel), { recursive: true });
      await copyFile(path.join(root, child), path.join(root, 'dist', child));
    }
  }
}

async function main() {
  const args = new Set(process.argv.slice(2));
  const prepare = args.has('--prepare');
  const quiet = args.has('--quiet');
  const say = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);
  if (prepare && !findTsc(ROOT)) {
    say('authstream build: skipped at install (TypeScript is not installed: a production install); dist/ must come from a build');
    return 0;
  }
  if (prepare || args.has('--if-stale')) {
    const { stale, reason } = await checkStale(ROOT);
    if (!stale) {
      if (!quiet) say(`authstream build: up to date (${reason})`);
      return 0;
    }
    say(`authstream build: building (${reason}) …`);
  }
  const status = await build(ROOT, say);
  if (status !== 0 && prepare) {
    say('authstream build: the build failed at install; `npm start` will try again (and stop if it fails)');
    return 0;
  }
  return status;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => (process.exitCode = code),
    (err) => {
      process.stderr.write(`authstream build: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
