// The EventStoreDB adapter's own behaviour beyond the shared contract, over the real client and gRPC to the
// in-memory test server: system events, subscription drops, start-up failures, exact 64-bit positions.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { EventStoreDBClient } from '@eventstore/db-client';
import { status } from '@grpc/grpc-js';
import { openEsdbEventStore } from '../../src/store/esdb.js';
import { ConcurrencyError, type EventStore, type EventToAppend, type Position, type RecordedEvent } from '../../src/store/port.js';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-server/index.js';

const WAIT_MS = 10_000;

function events(n: number, type = 'Tested'): EventToAppend[] {
  return Array.from({ length: n }, (_, i) => ({ id: randomUUID(), type, data: { i } }));
}

/** Writes straight into the server's log, as EventStoreDB itself or another client would. */
function writeRaw(server: EsdbTestServer, stream: string, type: string, data: Uint8Array = Buffer.from('{}')): void {
  const contentType = data.length && data[0] === 0x7b ? 'application/json' : 'application/octet-stream';
  server.log.append(stream, [{ id: randomUUID(), type, contentType, data, customMetadata: new Uint8Array() }], { kind: 'any' });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Takes events from an iterator until `n` of them match, remembering the position of every event handled. */
async function take(
  iterator: AsyncIterator<RecordedEvent>,
  n: number,
  matches: (e: RecordedEvent) => boolean,
  handled: { last?: Position },
): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  while (out.length < n) {
    const next = await within(iterator.next(), `event ${out.length + 1} of ${n}`);
    assert.ok(!next.done, 'the subscription ended without an error');
    handled.last = next.value.position;
    if (matches(next.value)) out.push(next.value);
  }
  return out;
}

async function withStore(
  options: Parameters<typeof startEsdbTestServer>[0],
  body: (store: EventStore, server: EsdbTestServer) => Promise<void>,
): Promise<void> {
  const server = await startEsdbTestServer(options);
  const store = await openEsdbEventStore(server.url);
  try {
    await body(store, server);
  } finally {
    await store.close();
    await server.stop();
  }
}

describe('EventStoreDB adapter: system events', () => {
  it('never yields events whose type or stream starts with $, from readAll or subscribeToAll', async () => {
    await withStore({}, async (store, server) => {
      const s = `user-${randomUUID()}`;
      await store.append(s, events(1), 'no_stream');
      writeRaw(server, `$$${s}`, '$metadata'); // a user stream's metadata
      writeRaw(server, '$custom-projection-state', 'UserRegistered'); // passes a type filter: only the guard stops it
      writeRaw(server, s, '$internal'); // passes a stream-name filter
      writeRaw(server, '$binary', '$statsCollected', Uint8Array.of(1, 2, 3)); // not even JSON
      await store.append(s, events(1), 'any');

      const read = await collect(store.readAll());
      assert.deepEqual(
        read.map((e) => [e.streamId, e.revision]),
        [
          [s, 0n],
          [s, 2n],
        ],
      );

      const subscription = store.subscribeToAll();
      try {
        const iterator = subscription[Symbol.asyncIterator]();
        const live = store.append(s, events(1), 'any');
        const seen = await take(iterator, 3, () => true, {});
        await live;
        assert.deepEqual(
          seen.map((e) => [e.streamId, e.revision]),
          [
            [s, 0n],
            [s, 2n],
            [s, 3n],
          ],
        );
      } finally {
        await subscription.close();
      }
      // The server was asked to filter too, so system events mostly never cross the wire.
      assert.deepEqual(server.subscriptionFilters(), ['eventType regex ^[^$].*']);
      assert.ok(server.log.all.filter((e) => e.type.startsWith('$')).length >= 8, 'the server holds system events');
    });
  });
});

describe('EventStoreDB adapter: reading $all in pages', () => {
  it('loses and repeats nothing across page boundaries, with system events in between', async () => {
    await withStore({}, async (store, server) => {
      const s = `paged-${randomUUID()}`;
      for (let batch = 0; batch < 12; batch++) {
        await store.append(s, events(100), batch === 0 ? 'no_stream' : BigInt(batch * 100 - 1));
        writeRaw(server, `$$${s}`, '$metadata');
      }
      const ours = (await collect(store.readAll())).filter((e) => e.streamId === s);
      assert.deepEqual(
        ours.map((e) => e.revision),
        Array.from({ length: 1200 }, (_, i) => BigInt(i)),
      );

      const window = await collect(store.readAll({ fromPosition: ours[500]!.position, maxCount: 600 }));
      assert.deepEqual(
        window.map((e) => e.id),
        ours.slice(500, 1100).map((e) => e.id),
      );

      // Stopping early leaves no call half-read behind, which would keep close() waiting forever.
      assert.equal((await collect(store.readAll({ maxCount: 1 }))).length, 1);
      for await (const _ of store.readAll()) break;
      await within(store.close(), 'close() after reads stopped early');
    });
  });
});

describe('EventStoreDB adapter: subscription drops', () => {
  for (const fault of ['dropSubscriptions', 'restart'] as const) {
    it(`${fault}: iteration throws, and resubscribing from the last position loses and repeats nothing`, async () => {
      await withStore({}, async (store, server) => {
        const s = `drop-${randomUUID()}`;
        const mine = (e: RecordedEvent) => e.streamId === s;
        const handled: { last?: Position } = {};
        await store.append(s, events(3), 'no_stream');

        const first = store.subscribeToAll();
        const received: RecordedEvent[] = [];
        try {
          const iterator = first[Symbol.asyncIterator]();
          received.push(...(await take(iterator, 3, mine, handled)));
          await store.append(s, events(2), 2n);
          received.push(...(await take(iterator, 2, mine, handled)));

          if (fault === 'restart') await server.restart();
          else server.dropSubscriptions();
          await assert.rejects(within(iterator.next(), 'the drop to surface'), /subscription to \$all dropped/);
        } finally {
          await first.close();
        }

        // Written while nobody listens: the resubscription must catch these up.
        await store.append(s, events(2), 4n);
        assert.ok(handled.last);
        const second = store.subscribeToAll(handled.last);
        try {
          const iterator = second[Symbol.asyncIterator]();
          received.push(...(await take(iterator, 2, mine, handled)));
          await store.append(s, events(1), 6n);
          received.push(...(await take(iterator, 1, mine, handled)));
        } finally {
          await second.close();
        }
        assert.deepEqual(
          received.map((e) => e.revision),
          [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n],
        );
        assert.deepEqual(
          received.map((e) => e.id),
          (await store.readStream(s)).map((e) => e.id),
        );
      });
    });
  }

  it('a subscription the server ends cleanly throws too, instead of looking finished', async () => {
    await withStore({}, async (store, server) => {
      const s = `end-${randomUUID()}`;
      await store.append(s, events(1), 'no_stream');
      const subscription = store.subscribeToAll();
      try {
        const iterator = subscription[Symbol.asyncIterator]();
        await take(iterator, 1, (e) => e.streamId === s, {});
        server.dropSubscriptions('end');
        await assert.rejects(within(iterator.next(), 'the end to surface'), /subscription to \$all ended by the server/);
      } finally {
        await subscription.close();
      }
    });
  });
});

describe('EventStoreDB adapter: start-up', () => {
  const servers: NetServer[] = [];
  const sockets: Socket[] = [];
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function listening(server: NetServer): Promise<number> {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  it('fails fast, naming EVENTSTORE_URL, when nothing listens on the port', async () => {
    const probe = createServer();
    const port = await listening(probe);
    await new Promise((resolve) => probe.close(resolve)); // the port is now closed
    const started = Date.now();
    await assert.rejects(openEsdbEventStore(`esdb://admin:s3cret@127.0.0.1:${port}?tls=false`), (err: Error) => {
      assert.match(err.message, new RegExp(`^EVENTSTORE_URL esdb://admin:\\*\\*\\*@127\\.0\\.0\\.1:${port}\\?tls=false is unreachable: `));
      assert.match(err.message, /UNAVAILABLE|ECONNREFUSED/);
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
    assert.ok(Date.now() - started < 3_000, 'a refused connection is reported at once');
  });

  it('gives up after the start-up timeout when the server accepts but never answers', async () => {
    const silent = createServer((socket) => sockets.push(socket));
    const port = await listening(silent);
    await assert.rejects(
      openEsdbEventStore(`esdb://127.0.0.1:${port}?tls=false`, { startupTimeoutMs: 300 }),
      /^Error: EVENTSTORE_URL esdb:\/\/127\.0\.0\.1:\d+\?tls=false is unreachable: no answer within 300 ms$/,
    );
  });
});

describe('EventStoreDB test server', () => {
  it('answers UNIMPLEMENTED to what it does not implement', async () => {
    const server = await startEsdbTestServer();
    const client = EventStoreDBClient.connectionString(server.url);
    try {
      const unimplemented = (err: { code?: number }) => err.code === status.UNIMPLEMENTED;
      await assert.rejects(client.deleteStream('s'), unimplemented); // a Streams method without a handler
      await assert.rejects(client.getProjectionStatus('p'), unimplemented); // a whole service missing
      const subscription = client.subscribeToStream('s');
      await assert.rejects(once(subscription, 'data'), unimplemented); // a Read the server does not serve
    } finally {
      await client.dispose();
      await server.stop();
    }
  });
});

describe('EventStoreDB adapter: wire details', () => {
  it('carries positions past 2^53 exactly, as bigints, through append, reads and subscriptions', async () => {
    const base = 2n ** 60n + 7n;
    await withStore({ firstPosition: base }, async (store, server) => {
      const s = `big-${randomUUID()}`;
      const result = await store.append(s, events(2), 'no_stream');
      const stored = server.log.all.filter((e) => e.streamId === s);
      assert.equal(stored.length, 2);
      assert.ok(stored[0]!.commit > BigInt(Number.MAX_SAFE_INTEGER));
      // One append shares its commit position; each event has its own prepare position.
      assert.deepEqual(result.position, { commit: stored[1]!.commit, prepare: stored[1]!.prepare });
      assert.notEqual(stored[1]!.commit, stored[1]!.prepare);

      const read = await store.readStream(s);
      assert.deepEqual(
        read.map((e) => e.position),
        stored.map((e) => ({ commit: e.commit, prepare: e.prepare })),
      );
      assert.equal(typeof read[0]!.position.commit, 'bigint');

      const fromAll = await collect(store.readAll({ fromPosition: read[1]!.position }));
      assert.deepEqual(
        fromAll.map((e) => e.id),
        [read[1]!.id],
      );

      const subscription = store.subscribeToAll(read[0]!.position);
      try {
        const [next] = await take(subscription[Symbol.asyncIterator](), 1, () => true, {});
        assert.deepEqual(next, read[1]);
      } finally {
        await subscription.close();
      }
    });
  });

  it('works over Streams.Append when the server does not offer BatchAppend, and accepts kurrentdb:// URLs', async () => {
    const server = await startEsdbTestServer({ batchAppend: false });
    const store = await openEsdbEventStore(server.url.replace('esdb://', 'kurrentdb://'));
    try {
      const s = `append-${randomUUID()}`;
      assert.equal((await store.append(s, events(2), 'no_stream')).nextExpectedRevision, 1n);
      await assert.rejects(store.append(s, events(1), 0n), (err: unknown) => {
        assert.ok(err instanceof ConcurrencyError);
        assert.equal(err.actual, 1n);
        return true;
      });
      await assert.rejects(store.append(`${s}-x`, events(1), 'stream_exists'), (err: unknown) => {
        assert.ok(err instanceof ConcurrencyError);
        assert.equal(err.actual, 'no_stream');
        return true;
      });
      assert.deepEqual(
        (await store.readStream(s)).map((e) => e.revision),
        [0n, 1n],
      );
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('close() ends subscriptions and reads in flight, and refuses later calls', async () => {
    const server = await startEsdbTestServer();
    const store = await openEsdbEventStore(server.url);
    try {
      const subscription = store.subscribeToAll();
      const iterator = subscription[Symbol.asyncIterator]();
      const reads = store.readAll()[Symbol.asyncIterator]();
      await store.append('s', events(1200), 'no_stream'); // more than one page of $all
      await reads.next();
      const waiting = (async () => {
        for (let next = await iterator.next(); !next.done; next = await iterator.next());
      })();
      await store.close();
      await within(waiting, 'the subscription to end at close()');
      await assert.rejects(
        within(
          (async () => {
            while (!(await reads.next()).done);
          })(),
          'the read to end at close()',
        ),
        /closed/,
      );
      await assert.rejects(store.append('s', events(1), 'any'), /closed/);
    } finally {
      await store.close();
      await server.stop();
    }
  });

  it('refuses empty appends, and names a user event whose data is not JSON', async () => {
    await withStore({}, async (store, server) => {
      await assert.rejects(store.append('empty', [], 'any'), RangeError);
      writeRaw(server, 'foreign', 'Binary', Uint8Array.of(1, 2, 3));
      await store.append('after', events(1), 'no_stream');
      await assert.rejects(store.readStream('foreign'), /in foreign: data is not a JSON object/);
      // A subscription stops at such an event: nothing after it may be handed out, or a checkpoint would skip it.
      const subscription = store.subscribeToAll();
      const yielded: string[] = [];
      await assert.rejects(
        within(
          (async () => {
            for await (const e of subscription) yielded.push(e.streamId);
          })(),
          'the bad event',
        ),
        /in foreign: data is not a JSON object/,
      );
      assert.deepEqual(yielded, []);
    });
  });
});
