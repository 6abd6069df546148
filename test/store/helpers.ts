// Shared by the embedded-log tests: temporary directories, events, and byte-level surgery on log files.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openEmbeddedEventStore, type EmbeddedEventStore, type EmbeddedOptions } from '../../src/store/embedded.js';
import type { EventStore, EventToAppend, RecordedEvent } from '../../src/store/port.js';

export function event(data: Record<string, unknown> = {}, type = 'Tested'): EventToAppend {
  return { id: randomUUID(), type, data };
}

export async function all(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readAll()) out.push(e);
  return out;
}

export const ns = async (store: EventStore): Promise<unknown[]> => (await all(store)).map((e) => e.data['n']);

/** Temporary directories and stores, cleaned up by `cleanup()` (call it in afterEach). */
export class Fixture {
  readonly warnings: string[] = [];
  private readonly dirs: string[] = [];
  private readonly stores: EventStore[] = [];
  readonly warn = (m: string): void => {
    this.warnings.push(m);
  };

  async dir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'authstream-store-'));
    this.dirs.push(dir);
    return dir;
  }

  async open(dir: string, options: EmbeddedOptions = {}): Promise<EmbeddedEventStore> {
    const store = await openEmbeddedEventStore(dir, { warn: this.warn, ...options });
    this.stores.push(store);
    return store;
  }

  /** Closes the stores opened so far (their directories stay). */
  async cleanupStores(): Promise<void> {
    for (const store of this.stores.splice(0)) await store.close();
  }

  async cleanup(): Promise<void> {
    await this.cleanupStores();
    for (const dir of this.dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    this.warnings.length = 0;
  }
}

export const logOf = (dir: string): string => join(dir, 'events.log');
export const snapshotOf = (dir: string): string => join(dir, 'events.idx');

/** Record boundaries of a closed log: each record's start, and the end of the last one. */
export interface Layout {
  readonly starts: number[];
  readonly end: number;
}

/**
 * Writes records n = 0..count-1 (record k holds event n = k, on stream `s${k % 3}`) and closes the store; returns
 * where the records are.
 */
export async function writeRecords(fx: Fixture, dir: string, count: number): Promise<Layout> {
  const store = await fx.open(dir);
  const starts: number[] = [];
  const revisions = new Map<string, bigint>();
  for (let k = 0; k < count; k++) {
    const s = `s${k % 3}`;
    starts.push(store.index.end);
    const r = revisions.get(s);
    const result = await store.append(s, [event({ n: k, padding: 'x'.repeat(100) })], r === undefined ? 'no_stream' : r);
    revisions.set(s, result.nextExpectedRevision);
  }
  const end = store.index.end;
  await store.close();
  return { starts, end };
}

/** The state a writer that died before writing any index snapshot leaves: no snapshot. */
export async function asIfCrashed(dir: string): Promise<void> {
  await rm(snapshotOf(dir), { force: true });
}

export async function flipBit(path: string, offset: number, bit = 0): Promise<void> {
  const bytes = await readFile(path);
  bytes[offset] = bytes[offset]! ^ (1 << bit);
  await writeFile(path, bytes);
}

/** Every file of a directory with its bytes and mtime: to show something did not write. */
export async function dirState(dir: string): Promise<Record<string, { bytes: string; mtimeMs: number }>> {
  const out: Record<string, { bytes: string; mtimeMs: number }> = {};
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    out[name] = { bytes: (await readFile(path)).toString('base64'), mtimeMs: (await stat(path)).mtimeMs };
  }
  return out;
}
