import { describe, it } from 'node:test';
// Tests that need a server which is absent say so in the output, with the reason, instead of passing silently.
export function skipReason(envVar: string, what: string): string | false {
  if (process.env[envVar]) return false;
  const reason = `SKIPPED: ${what}: ${envVar} is not set (no such server on this machine)`;
  console.log(reason);
  return reason;
}

/**
 * A suite that needs a server: skipped with `reason` when it is absent. Node's runner does not count a skipped suite
 * in its summary, so one skipped test, named by the reason, stands for it there.
 */
export function describeUnless(name: string, reason: string | false, body: () => void): void {
  if (reason === false) return void describe(name, body);
  describe(name, () => it(reason, { skip: reason }, () => {}));
}
