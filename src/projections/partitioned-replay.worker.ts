// The worker thread of a replay on two threads (partitioned-replay.ts): projects its share, sends it back, exits.
import { parentPort, workerData } from 'node:worker_threads';
import { openAccountKeys } from '../erasure/open.js';
import { transferablesOf, workerShare, type ShareTask } from './partitioned-replay.js';

const reply = await workerShare(workerData as ShareTask, (source) => openAccountKeys(source.config, source.secretKey));
parentPort!.postMessage(reply, transferablesOf(reply));
