#!/usr/bin/env python3
"""A MongoDB wire-protocol test server: mockupdb speaks the protocol, mongomock runs queries and updates.

It answers what the official Node driver sends for the read-model adapter, behaving like a standalone mongod
(no transactions, no change streams), and fails loudly on what it cannot do (collations, pipeline updates)
instead of silently answering differently from a real server.

Prints "mongo-test-server ready <uri>" once listening on a free port; exits when stdin closes or on SIGTERM.
Needs the Debian packages python3-mockupdb and python3-mongomock.
"""
import datetime
import itertools
import os
import sys
import threading
import traceback

import mockupdb
import mongomock
from bson import Int64
from mongomock import filtering
from pymongo import ReturnDocument
from pymongo.errors import OperationFailure

CODE_NAMES = {
    1: 'InternalError', 2: 'BadValue', 20: 'IllegalOperation', 26: 'NamespaceNotFound', 27: 'IndexNotFound',
    43: 'CursorNotFound', 48: 'NamespaceExists', 59: 'CommandNotFound', 85: 'IndexOptionsConflict',
    238: 'NotImplemented', 11000: 'DuplicateKey', 40573: 'Location40573',
}
NO_TRANSACTIONS = 'Transaction numbers are only allowed on a replica set member or mongos'
DEFAULT_BATCH = 101  # mongod's default first batch


class CommandError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def error_reply(code, message):
    return {'ok': 0, 'errmsg': message, 'code': code, 'codeName': CODE_NAMES.get(code, 'UnknownError')}


def error_code(exc):
    # mongomock raises DuplicateKeyError with code 11000, other OperationFailures often without a code.
    return exc.code if isinstance(exc.code, int) and exc.code else 2


def reject_unsupported(spec):
    if spec.get('collation'):
        raise CommandError(238, 'the test server does not support collations (mongomock would ignore them)')
    if spec.get('arrayFilters'):
        raise CommandError(238, 'the test server does not support arrayFilters')


def is_update_operators(update):
    return bool(update) and all(key.startswith('$') for key in update)


class Server:
    def __init__(self):
        self.client = mongomock.MongoClient()
        # mockupdb serves each connection on its own thread; mongomock is not thread-safe.
        self.lock = threading.Lock()
        self.cursors = {}  # cursor id -> (namespace, documents not yet returned)
        self.cursor_ids = itertools.count(1)

    # -- wire ---------------------------------------------------------------------------------------------------

    def handle(self, request):
        """mockupdb autoresponder: every request lands here. Returns True (handled)."""
        doc = request.doc
        if doc and next(iter(doc)) == '$query':  # legacy OP_QUERY wrapping of a command
            doc = doc['$query']
        name = next(iter(doc), '') if doc else ''
        db = doc.get('$db') or request.namespace.split('.', 1)[0]
        with self.lock:
            try:
                reply = self.dispatch(name, db, doc)
            except CommandError as exc:
                reply = error_reply(exc.code, str(exc))
            except OperationFailure as exc:
                reply = error_reply(error_code(exc), str(exc))
            except NotImplementedError as exc:
                reply = error_reply(238, 'not supported by the test server: %s' % exc)
            except Exception as exc:  # a bug here: say so on stderr, answer like a server would
                traceback.print_exc()
                reply = error_reply(1, 'test server error: %r' % exc)
        # Unacknowledged (w:0) writes set moreToCome: the client expects no reply.
        more_to_come = isinstance(request, mockupdb.OpMsg) and request.flags & mockupdb.OP_MSG_FLAGS['moreToCome']
        if not more_to_come:
            request.replies(reply)
        return True

    def dispatch(self, name, db, doc):
        if 'txnNumber' in doc or 'startTransaction' in doc or 'autocommit' in doc:
            raise CommandError(20, NO_TRANSACTIONS)
        handler = getattr(self, 'cmd_' + name.lower(), None)
        if handler is None:
            raise CommandError(59, "no such command: '%s'" % name)
        return handler(self.client[db], doc)

    # -- server ---------------------------------------------------------------------------------------------------

    def cmd_hello(self, db, doc):
        # No topologyVersion: the driver then polls instead of streaming hello. No setName: a standalone.
        return {
            'ismaster': True, 'isWritablePrimary': True, 'helloOk': True,
            'maxBsonObjectSize': 16 * 1024 * 1024, 'maxMessageSizeBytes': 48000000, 'maxWriteBatchSize': 100000,
            'localTime': datetime.datetime.now(datetime.timezone.utc), 'logicalSessionTimeoutMinutes': 30,
            'connectionId': 1, 'minWireVersion': 0, 'maxWireVersion': 21, 'readOnly': False, 'ok': 1,
        }

    cmd_ismaster = cmd_hello

    def cmd_buildinfo(self, db, doc):
        return {'version': '7.0.0', 'versionArray': [7, 0, 0, 0], 'gitVersion': 'mongomock-test-server',
                'maxBsonObjectSize': 16 * 1024 * 1024, 'ok': 1}

    def cmd_ping(self, db, doc):
        return {'ok': 1}

    def cmd_endsessions(self, db, doc):
        return {'ok': 1}

    def cmd_committransaction(self, db, doc):
        raise CommandError(20, NO_TRANSACTIONS)

    cmd_aborttransaction = cmd_committransaction

    # -- cursors --------------------------------------------------------------------------------------------------

    def cursor_reply(self, namespace, docs, batch_size, single_batch=False):
        size = DEFAULT_BATCH if batch_size is None else batch_size
        first, rest = docs[:size], docs[size:]
        cursor_id = 0
        if rest and not single_batch:
            cursor_id = next(self.cursor_ids)
            self.cursors[cursor_id] = (namespace, rest)
        return {'cursor': {'id': Int64(cursor_id), 'ns': namespace, 'firstBatch': first}, 'ok': 1}

    def cmd_find(self, db, doc):
        reject_unsupported(doc)
        cursor = db[doc['find']].find(doc.get('filter') or {}, projection=doc.get('projection') or None)
        if doc.get('sort'):
            cursor = cursor.sort(list(doc['sort'].items()))
        if doc.get('skip'):
            cursor = cursor.skip(doc['skip'])
        limit = doc.get('limit') or 0
        if limit:
            cursor = cursor.limit(abs(limit))
        namespace = '%s.%s' % (db.name, doc['find'])
        return self.cursor_reply(namespace, list(cursor), doc.get('batchSize'), doc.get('singleBatch') or limit < 0)

    def cmd_aggregate(self, db, doc):
        reject_unsupported(doc)
        pipeline = doc.get('pipeline') or []
        if any('$changeStream' in stage for stage in pipeline):
            raise CommandError(40573, 'The $changeStream stage is only supported on replica sets')
        if doc['aggregate'] == 1:
            raise CommandError(238, 'database-level aggregate is not supported by the test server')
        docs = list(db[doc['aggregate']].aggregate(pipeline))
        namespace = '%s.%s' % (db.name, doc['aggregate'])
        return self.cursor_reply(namespace, docs, (doc.get('cursor') or {}).get('batchSize'))

    def cmd_getmore(self, db, doc):
        cursor_id = int(doc['getMore'])
        if cursor_id not in self.cursors:
            raise CommandError(43, 'cursor id %d not found' % cursor_id)
        namespace, docs = self.cursors.pop(cursor_id)
        size = doc.get('batchSize') or len(docs)
        batch, rest = docs[:size], docs[size:]
        if rest:
            self.cursors[cursor_id] = (namespace, rest)
        return {'cursor': {'id': Int64(cursor_id if rest else 0), 'ns': namespace, 'nextBatch': batch}, 'ok': 1}

    def cmd_killcursors(self, db, doc):
        killed, missing = [], []
        for cursor_id in doc.get('cursors', []):
            (killed if self.cursors.pop(int(cursor_id), None) else missing).append(cursor_id)
        return {'cursorsKilled': killed, 'cursorsNotFound': missing, 'cursorsAlive': [], 'cursorsUnknown': [], 'ok': 1}

    # -- writes ---------------------------------------------------------------------------------------------------

    @staticmethod
    def write_reply(n, errors, **extra):
        reply = {'n': n, 'ok': 1, **extra}
        if errors:
            reply['writeErrors'] = errors
        return reply

    @staticmethod
    def write_error(index, exc):
        code = error_code(exc) if isinstance(exc, OperationFailure) else exc.code
        message = str(exc)
        if code == 11000:  # mongomock does not say which index; a real server would (and add keyValue)
            message = 'E11000 duplicate key error (test server: index not reported)'
        return {'index': index, 'code': code, 'codeName': CODE_NAMES.get(code, 'UnknownError'), 'errmsg': message}

    def run_writes(self, statements, ordered, apply):
        """Applies each statement; like mongod, a failing statement becomes a writeError and ordered writes stop."""
        errors = []
        for index, statement in enumerate(statements):
            try:
                apply(index, statement)
            except (OperationFailure, CommandError) as exc:
                errors.append(self.write_error(index, exc))
                if ordered:
                    break
        return errors

    def cmd_insert(self, db, doc):
        collection, inserted = db[doc['insert']], [0]

        def apply(_, document):
            collection.insert_one(document)
            inserted[0] += 1

        errors = self.run_writes(doc.get('documents', []), doc.get('ordered', True), apply)
        return self.write_reply(inserted[0], errors)

    def cmd_update(self, db, doc):
        collection = db[doc['update']]
        totals = {'n': 0, 'nModified': 0}
        upserted = []

        def apply(index, statement):
            reject_unsupported(statement)
            query, update = statement.get('q') or {}, statement.get('u')
            upsert, multi = statement.get('upsert', False), statement.get('multi', False)
            if isinstance(update, list):
                raise CommandError(238, 'the test server does not support pipeline updates')
            if is_update_operators(update):
                result = (collection.update_many if multi else collection.update_one)(query, update, upsert=upsert)
            else:
                result = collection.replace_one(query, update, upsert=upsert)
            totals['n'] += result.matched_count
            totals['nModified'] += result.modified_count
            if result.upserted_id is not None:
                totals['n'] += 1
                upserted.append({'index': index, '_id': result.upserted_id})

        errors = self.run_writes(doc.get('updates', []), doc.get('ordered', True), apply)
        extra = {'nModified': totals['nModified']}
        if upserted:
            extra['upserted'] = upserted
        return self.write_reply(totals['n'], errors, **extra)

    def cmd_delete(self, db, doc):
        collection, deleted = db[doc['delete']], [0]

        def apply(_, statement):
            reject_unsupported(statement)
            remove = collection.delete_one if statement.get('limit') == 1 else collection.delete_many
            deleted[0] += remove(statement.get('q') or {}).deleted_count

        errors = self.run_writes(doc.get('deletes', []), doc.get('ordered', True), apply)
        return self.write_reply(deleted[0], errors)

    def cmd_findandmodify(self, db, doc):
        reject_unsupported(doc)
        collection = db[doc['findAndModify'] if 'findAndModify' in doc else doc['findandmodify']]
        query, fields = doc.get('query') or {}, doc.get('fields') or None
        sort = list(doc['sort'].items()) if doc.get('sort') else None
        if doc.get('remove'):
            value = collection.find_one_and_delete(query, projection=fields, sort=sort)
            return {'lastErrorObject': {'n': int(value is not None)}, 'value': value, 'ok': 1}
        update, upsert = doc.get('update'), doc.get('upsert', False)
        if isinstance(update, list):
            raise CommandError(238, 'the test server does not support pipeline updates')
        existed = collection.find_one(query) is not None
        modify = collection.find_one_and_update if is_update_operators(update) else collection.find_one_and_replace
        returned = ReturnDocument.AFTER if doc.get('new') else ReturnDocument.BEFORE
        value = modify(query, update, projection=fields, sort=sort, upsert=upsert, return_document=returned)
        last_error = {'n': int(existed or upsert), 'updatedExisting': existed}
        if upsert and not existed and value is not None and '_id' in value:
            last_error['upserted'] = value['_id']
        return {'lastErrorObject': last_error, 'value': value, 'ok': 1}

    def cmd_count(self, db, doc):
        reject_unsupported(doc)
        options = {key: doc[key] for key in ('skip', 'limit') if doc.get(key)}
        return {'n': db[doc['count']].count_documents(doc.get('query') or {}, **options), 'ok': 1}

    def cmd_distinct(self, db, doc):
        reject_unsupported(doc)
        return {'values': db[doc['distinct']].distinct(doc['key'], doc.get('query') or None), 'ok': 1}

    # -- collections and indexes ----------------------------------------------------------------------------------

    def require_collection(self, db, name):
        if name not in db.list_collection_names():
            raise CommandError(26, 'ns does not exist: %s.%s' % (db.name, name))
        return db[name]

    def cmd_createindexes(self, db, doc):
        collection = db[doc['createIndexes']]
        existed = doc['createIndexes'] in db.list_collection_names()
        before = len(list(collection.list_indexes())) if existed else 0
        for spec in doc.get('indexes', []):
            self.create_index(collection, spec)
        after = len(list(collection.list_indexes()))
        return {'createdCollectionAutomatically': not existed, 'numIndexesBefore': max(before, 1),
                'numIndexesAfter': after, 'ok': 1}

    def create_index(self, collection, spec):
        # Not mongomock's create_index: its check of existing documents ignores partialFilterExpression (two
        # documents without the field collide), and it does not refuse a second index with the same signature.
        reject_unsupported(spec)
        name, index = spec['name'], {'key': list(spec['key'].items())}
        for option in ('unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds'):
            if spec.get(option) not in (None, False):
                index[option] = spec[option]
        indexes = collection._store.indexes
        if indexes.get(name) == index:
            return  # like mongod: re-creating an identical index is a no-op
        if name in indexes:
            raise CommandError(85, 'An existing index has the same name as the requested index: %s' % name)
        for other_name, other in indexes.items():
            if (other['key'], other.get('partialFilterExpression')) == (index['key'], index.get('partialFilterExpression')):
                raise CommandError(85, 'Index already exists with a different name: %s' % other_name)
        if index.get('unique'):
            self.check_unique(collection, index)
        collection._store.create_index(name, index)

    @staticmethod
    def check_unique(collection, index):
        seen = set()
        for document in collection.find(index.get('partialFilterExpression') or {}):
            values = [document.get(key) for key, _ in index['key']]  # top-level keys are all we need
            if index.get('sparse') and all(key not in document for key, _ in index['key']):
                continue
            if repr(values) in seen:
                raise CommandError(11000, 'E11000 duplicate key error (test server: existing documents)')
            seen.add(repr(values))

    def cmd_listindexes(self, db, doc):
        collection = self.require_collection(db, doc['listIndexes'])
        namespace = '%s.%s' % (db.name, doc['listIndexes'])
        return self.cursor_reply(namespace, list(collection.list_indexes()), (doc.get('cursor') or {}).get('batchSize'))

    def cmd_dropindexes(self, db, doc):
        collection = self.require_collection(db, doc['dropIndexes'])
        names = doc['index'] if isinstance(doc['index'], list) else [doc['index']]
        if names == ['*']:
            collection.drop_indexes()
        for name in names if names != ['*'] else []:
            try:
                collection.drop_index(name)
            except OperationFailure as exc:
                raise CommandError(27, str(exc))
        return {'ok': 1}

    def cmd_create(self, db, doc):
        if doc['create'] in db.list_collection_names():
            raise CommandError(48, 'Collection %s.%s already exists.' % (db.name, doc['create']))
        db.create_collection(doc['create'])
        return {'ok': 1}

    def cmd_drop(self, db, doc):
        db.drop_collection(doc['drop'])  # since 7.0 a missing collection is not an error
        return {'ns': '%s.%s' % (db.name, doc['drop']), 'ok': 1}

    def cmd_dropdatabase(self, db, doc):
        self.client.drop_database(db.name)
        for cursor_id in [c for c, (ns, _) in self.cursors.items() if ns.startswith(db.name + '.')]:
            del self.cursors[cursor_id]
        return {'dropped': db.name, 'ok': 1}

    def cmd_listcollections(self, db, doc):
        infos = [{'name': name, 'type': 'collection', 'options': {}, 'info': {'readOnly': False}}
                 for name in sorted(db.list_collection_names())]
        infos = [info for info in infos if filtering.filter_applies(doc.get('filter') or {}, info)]
        namespace = '%s.$cmd.listCollections' % db.name
        return self.cursor_reply(namespace, infos, (doc.get('cursor') or {}).get('batchSize'))

    def cmd_listdatabases(self, db, doc):
        names = self.client.list_database_names()
        return {'databases': [{'name': name, 'sizeOnDisk': 0, 'empty': False} for name in names],
                'totalSize': 0, 'ok': 1}


def main():
    server = mockupdb.MockupDB(request_timeout=int(1e6))
    server.autoresponds(Server().handle)
    port = server.run()  # binds 127.0.0.1 on a free port
    print('mongo-test-server ready mongodb://127.0.0.1:%d/' % port, flush=True)
    sys.stdin.read()  # until the parent closes stdin, or dies
    os._exit(0)  # no orderly thread joins: nothing here needs saving


if __name__ == '__main__':
    main()
