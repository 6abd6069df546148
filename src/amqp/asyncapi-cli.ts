// `npm run asyncapi`: writes docs/asyncapi.json from the zod event schemas (see asyncapi.ts).
import { readFile, writeFile } from 'node:fs/promises';
import { buildAsyncApi } from './asyncapi.js';

// src/amqp/ when run with tsx, dist/src/amqp/ when compiled.
const root = new URL(import.meta.url.includes('/dist/src/') ? '../../../' : '../../', import.meta.url);
const pkg = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { version: string };
const target = new URL('docs/asyncapi.json', root);
await writeFile(target, `${JSON.stringify(buildAsyncApi({ version: pkg.version }), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
