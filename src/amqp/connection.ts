// A reconnecting AMQP connection. amqplib's channels do not survive a reconnect, so instead of patching channels
// back together this keeps one live ChannelModel and runs "sessions": a session sets up its channels, topology and
// consumers on a connection and returns when that work has ended (its channel or the connection closed); it is then
// run again on the next connection. Reconnects back off exponentially (200 ms … 5 s).
import * as amqp from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { Logger } from '../log.js';
import { BusClosedError, sleep } from './bus.js';

export interface AmqpConnectionOptions {
  readonly url: string;
  /** Shown in the management UI (client property connection_name). */
  readonly name: string;
  readonly log: Logger;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

export class AmqpConnection {
  private model: ChannelModel | null = null;
  private waiters: ((model: ChannelModel) => void)[] = [];
  private readonly closing = new AbortController();
  private loop: Promise<void> | null = null;
  private connects = 0;

  constructor(private readonly options: AmqpConnectionOptions) {}

  get connected(): boolean {
    return this.model !== null;
  }

  /** How many times a connection was established (1 after the first). */
  get connectionCount(): number {
    return this.connects;
  }

  get signal(): AbortSignal {
    return this.closing.signal;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** The live connection, waiting for one; rejects once closed or when `signal` aborts. */
  current(signal?: AbortSignal): Promise<ChannelModel> {
    if (this.closing.signal.aborted) return Promise.reject(new BusClosedError('connection closed'));
    if (this.model) return Promise.resolve(this.model);
    if (signal?.aborted) return Promise.reject(new BusClosedError('aborted'));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new BusClosedError('aborted'));
      };
      const waiter = (model: ChannelModel) => {
        signal?.removeEventListener('abort', onAbort);
        this.closing.signal.removeEventListener('abort', onAbort);
        resolve(model);
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.closing.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Runs `session` on every connection until closed. When a session throws (e.g. a topology mismatch) it is logged
   * and retried after a pause; when it returns, it runs again once a connection is available.
   */
  runSessions(name: string, signal: AbortSignal, session: (model: ChannelModel) => Promise<void>): Promise<void> {
    const { log } = this.options;
    const both = AbortSignal.any([signal, this.closing.signal]);
    return (async () => {
      let pauseMs = this.options.minDelayMs ?? 200;
      while (!both.aborted) {
        let model: ChannelModel;
        try {
          model = await this.current(both);
        } catch {
          return;
        }
        const started = Date.now();
        try {
          await session(model);
          pauseMs = this.options.minDelayMs ?? 200;
          if (Date.now() - started < 100) await sleep(pauseMs, both).catch(() => {}); // no busy loop on a dying connection
        } catch (error) {
          if (both.aborted) return;
          log.warn(`amqp ${name}: session failed, retrying in ${pauseMs} ms`, { error: String(error) });
          try {
            await sleep(pauseMs, both);
          } catch {
            return;
          }
          pauseMs = Math.min(pauseMs * 2, this.options.maxDelayMs ?? 5_000);
        }
      }
    })();
  }

  async close(): Promise<void> {
    this.closing.abort(new BusClosedError('connection closed'));
    const model = this.model;
    this.model = null;
    if (model) await model.close().catch(() => {});
    await this.loop;
  }

  private async run(): Promise<void> {
    const { url, name, log } = this.options;
    const min = this.options.minDelayMs ?? 200;
    const max = this.options.maxDelayMs ?? 5_000;
    let delayMs = min;
    while (!this.closing.signal.aborted) {
      try {
        const model = await amqp.connect(url, { timeout: 5_000, clientProperties: { connection_name: name } });
        if (this.closing.signal.aborted) {
          await model.close().catch(() => {});
          return;
        }
        const closed = new Promise<void>((resolve) => model.once('close', () => resolve()));
        model.on('error', (error: Error) => log.warn(`amqp ${name}: connection error`, { error: String(error) }));
        model.on('blocked', (reason: string) => log.warn(`amqp ${name}: connection blocked by the broker`, { reason }));
        this.model = model;
        this.connects++;
        delayMs = min;
        log.info(`amqp ${name}: connected`, { connection: this.connects });
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w(model);
        await closed;
        if (this.model === model) this.model = null;
        if (this.closing.signal.aborted) return;
        log.warn(`amqp ${name}: connection lost, reconnecting`);
      } catch (error) {
        if (this.closing.signal.aborted) return;
        log.warn(`amqp ${name}: cannot connect, retrying in ${delayMs} ms`, { error: String(error) });
      }
      try {
        await sleep(delayMs, this.closing.signal);
      } catch {
        return;
      }
      delayMs = Math.min(delayMs * 2, max);
    }
  }
}
