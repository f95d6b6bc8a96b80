// groupImages, the first cut of bugs from a run's log (harness/judge/bugs.ts): smallest images
// first, each joining the first bug whose lost sites it loses too — unless the log says one lacks a
// flush and the other a fence — and an image that shows two bugs at once marked as shared.
import test from 'ava';
import type { DescribedImage, FindingClass } from '../../../core/api.js';
import { type FailingImage, groupImages } from '../../../harness/judge/bugs.js';

function failing(key: string, cls: FindingClass, sites: string[], point = 1): FailingImage {
  const image: DescribedImage = {
    replayId: `adr@${point}/${key}`,
    firstPoint: point,
    outcome: { kind: 'failed', output: 'bad' },
    class: cls,
    lostLines: sites.length,
    lostUnits: sites.length,
    lostStores: sites.map((site, i) => ({ seq: i, offset: 64 * i, size: 8, site })),
    keptStores: [],
  };
  return { key, image, points: [point], verdict: { status: 'inconsistent', failure: { kind: 'check-failed' } } };
}

const shape = (bugs: ReturnType<typeof groupImages>) =>
  bugs.map((b) => ({
    seed: b.seed.key,
    members: b.members.map((m) => m.key),
    shared: b.shared ? Object.fromEntries(b.shared) : undefined,
  }));

test('an image joins the first bug whose lost sites it loses too', (t) => {
  const bugs = groupImages([
    failing('a', 'missing-flush', ['f.c:1']),
    failing('b', 'missing-flush', ['f.c:2']),
    failing('a2', 'missing-flush', ['f.c:1', 'f.c:3']),
  ]);
  t.deepEqual(shape(bugs), [
    { seed: 'a', members: ['a', 'a2'], shared: undefined },
    { seed: 'b', members: ['b'], shared: undefined },
  ]);
});

test('a missing flush and a missing fence at the same lost sites are two bugs; a torn image goes with either', (t) => {
  const bugs = groupImages([
    failing('flush', 'missing-flush', ['helper.c:5']),
    failing('fence', 'missing-fence', ['helper.c:5']),
    failing('ordering', 'ordering', ['helper.c:5']),
    failing('torn', 'torn-write', ['helper.c:5']),
  ]);
  t.deepEqual(shape(bugs), [
    { seed: 'flush', members: ['flush', 'torn'], shared: undefined },
    { seed: 'fence', members: ['fence', 'ordering'], shared: undefined },
  ]);
});

test('an image losing the sites of two bugs stays with the first, shared with the other', (t) => {
  const bugs = groupImages([
    failing('a', 'missing-flush', ['f.c:1']),
    failing('b', 'missing-flush', ['f.c:2']),
    failing('both', 'missing-flush', ['f.c:1', 'f.c:2']),
  ]);
  t.deepEqual(shape(bugs), [
    { seed: 'a', members: ['a', 'both'], shared: { both: ['b'] } },
    { seed: 'b', members: ['b'], shared: undefined },
  ]);
});

test('a bug of another class at the same sites does not make every image shared', (t) => {
  const bugs = groupImages([
    failing('flush', 'missing-flush', ['helper.c:5']),
    failing('fence', 'missing-fence', ['helper.c:5']),
    failing('flush2', 'missing-flush', ['helper.c:5', 'other.c:9']),
  ]);
  t.deepEqual(shape(bugs), [
    { seed: 'flush', members: ['flush', 'flush2'], shared: undefined },
    { seed: 'fence', members: ['fence'], shared: undefined },
  ]);
});
