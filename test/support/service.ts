// Starts the whole service in-process on a free port, with its own DATA_DIR and a capturing SMTP server.
import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { startService, type RunningService, type ServiceOverrides } from '../../src/service.js';
import { startSmtpCapture, type SmtpCapture } from './smtp.js';
import { call } from './process.js';

export interface TestService extends RunningService {
  readonly dataDir: string;
  readonly smtp: SmtpCapture;
  /** Stops the service and starts it again on the same DATA_DIR (on a new port). */
  restart(): Promise<TestService>;
  /** JSON request helper: returns status, parsed body and headers. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  /** Stops everything and removes DATA_DIR. */
  dispose(): Promise<void>;
}

export async function startTestService(
  env: Record<string, string> = {},
  shared?: { dataDir: string; smtp?: SmtpCapture },
  overrides: ServiceOverrides = {},
): Promise<TestService> {
  const dataDir = shared?.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'authstream-test-')));
  const smtp = shared?.smtp ?? (await startSmtpCapture());
  const config = loadConfig({ PORT: '0', DATA_DIR: dataDir, SMTP_URL: smtp.url, ...env });
  const service = await startService(config, { log: silentLogger, ...overrides });
  const self: TestService = {
    ...service,
    dataDir,
    smtp,
    async restart() {
      await service.close();
      return startTestService(env, { dataDir, smtp }, overrides);
    },
    call: (method, p, body, headers) => call(service.url, method, p, body, headers),
    async dispose() {
      await service.close();
      await smtp.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return self;
}

/**
 * A service for the enclosing suite in one line: started before its tests, disposed after them. The handle
 * forwards to the running service, so tests use it like the service itself.
 */
export function useService(env: Record<string, string> = {}, overrides: ServiceOverrides = {}): TestService {
  let current: TestService | undefined;
  before(async () => {
    current = await startTestService(env, undefined, overrides);
  });
  after(() => current?.dispose());
  return new Proxy({} as TestService, {
    get(_target, property) {
      if (!current) throw new Error("the suite's service is not started yet (use it inside a test or a hook)");
      const value = current[property as keyof TestService];
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
