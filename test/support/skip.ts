// Tests that need a server which is absent say so in the output, with the reason, instead of passing silently.
export function skipReason(envVar: string, what: string): string | false {
  if (process.env[envVar]) return false;
  const reason = `SKIPPED: ${what}: ${envVar} is not set (no such server on this machine)`;
  console.log(reason);
  return reason;
}
