// Which messages the email consumer has already emailed, by messageId (= the event id), so a redelivered or
// republished event sends no second email. An id is recorded only after the SMTP server accepted the email: a crash
// between the two can at worst send it again (with the same Message-ID, <eventId@authstream>, for downstream
// deduplication), never lose it.
//
// Adapters: a JSON-lines file under DATA_DIR (embedded default), or a MongoDB collection when MONGODB_URI is set
// (shared by every worker process).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Collection } from 'mongodb';
import { appendPrivateFileSync, ensurePrivateDirSync } from '../data-dir.js';

export interface SentRecord {
  readonly kind: string;
  readonly at: Date;
}

export interface SentStore {
  has(messageId: string): Promise<boolean>;
  record(messageId: string, info: SentRecord): Promise<void>;
  close(): Promise<void>;
}

export const SENT_FILE = 'emails-sent.jsonl';

/**
 * One line per sent email, appended synchronously right after the SMTP server accepts it (the shortest window
 * between the two); read into memory at start. A torn last line (the process died mid-write) is ignored.
 */
export function openFileSentStore(dir: string): SentStore {
  ensurePrivateDirSync(dir);
  const file = path.join(dir, SENT_FILE);
  const sent = new Set<string>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  let torn = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      sent.add((JSON.parse(line) as { id: string }).id);
    } catch {
      torn = true; // only the last line can be torn; the next append starts on a fresh line
    }
  }
  if (torn || (text !== '' && !text.endsWith('\n'))) appendPrivateFileSync(file, '\n');
  return {
    has: async (messageId) => sent.has(messageId),
    async record(messageId, info) {
      if (sent.has(messageId)) return;
      appendPrivateFileSync(file, `${JSON.stringify({ id: messageId, kind: info.kind, at: info.at.toISOString() })}\n`);
      sent.add(messageId);
    },
    close: async () => {},
  };
}

interface SentDoc {
  _id: string;
  kind: string;
  at: Date;
}

export async function openMongoSentStore(uri: string, dbName: string, collectionName = 'sent_emails'): Promise<SentStore> {
  const { MongoClient } = await import('mongodb'); // only with MONGODB_URI: the driver is slow to load
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 3_000, connectTimeoutMS: 3_000 });
  await client.connect();
  const collection: Collection<SentDoc> = client.db(dbName).collection<SentDoc>(collectionName);
  return {
    has: async (messageId) => (await collection.findOne({ _id: messageId }, { projection: { _id: 1 } })) !== null,
    async record(messageId, info) {
      await collection.updateOne({ _id: messageId }, { $setOnInsert: { kind: info.kind, at: info.at } }, { upsert: true });
    },
    close: () => client.close(),
  };
}

/** In memory, for unit tests of the consumer. */
export function memorySentStore(): SentStore {
  const sent = new Set<string>();
  return {
    has: async (id) => sent.has(id),
    record: async (id) => void sent.add(id),
    close: async () => {},
  };
}
