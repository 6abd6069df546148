// The recorded dj-rest-auth 4.0.1 exchanges (test/fixtures/dj-rest-auth/) replayed against authstream configured the
// same way. Each exchange is a test; where authstream answers otherwise on purpose (known-differences.ts says why),
// the test checks that it still differs only as documented, so a change in either direction shows.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../../support/service.js';
import { envFor, groups, loadFixtures, movableClock, newRun, replay, seed, type GroupRun } from './replay.js';
import { KNOWN_DIFFERENCES, SKIPPED_GROUPS } from './known-differences.js';

const tally = { same: 0, different: 0, skipped: 0 };

for (const [group, entries] of groups(loadFixtures())) {
  const exchanges = entries.filter((e) => e.request);
  if (SKIPPED_GROUPS[group]) {
    describe(`${group} (not replayed)`, () => {
      it(SKIPPED_GROUPS[group]!, { skip: true }, () => {});
    });
    tally.skipped += exchanges.length;
    continue;
  }
  describe(`replay ${group}`, () => {
    const clock = movableClock();
    const svc = useService(envFor(entries[0]!.settings), { now: clock.now });
    let run: GroupRun | undefined;
    for (const entry of entries) {
      if (entry.setup) {
        it(`setup: ${entry.name}`, async () => {
          run ??= newRun(svc, clock);
          await seed(run, entry.setup!);
        });
        continue;
      }
      const known = KNOWN_DIFFERENCES[`${group} :: ${entry.name}`];
      it(entry.name, async (t) => {
        run ??= newRun(svc, clock);
        const { problems } = await replay(run, entry);
        if (known) {
          t.diagnostic(`differs on purpose: ${known}`);
          assert.ok(problems.length > 0, `listed as a difference (${known}) but now answers as dj-rest-auth does`);
          tally.different++;
          return;
        }
        assert.deepEqual(problems, []);
        tally.same++;
      });
    }
  });
}

after(() => {
  const total = tally.same + tally.different + tally.skipped;
  console.log(
    `# dj-rest-auth replay: ${tally.same} of ${total} exchanges answered as recorded; ${tally.different} differ on purpose; ${tally.skipped} not replayed`,
  );
});
