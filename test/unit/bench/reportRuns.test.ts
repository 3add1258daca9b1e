import assert from 'node:assert/strict';
import { test } from 'node:test';
import { earlierSections } from '../../../bench/report/markdown';
import { type BenchResults, earlierRuns } from '../../../bench/report/results';

const machine = (date: string, commit: string) => ({ date, commit }) as BenchResults['machine'];

test('a run with --only keeps the other sections with the run that measured them', () => {
  // Results written before runs were recorded per section: the kept sections carry that run's header.
  const old = { machine: machine('2026-11-29', 'aaa'), quick: true, decode: {}, completion: {} } as unknown as Partial<BenchResults>;
  assert.deepEqual(earlierRuns(old), {
    decode: { date: '2026-11-29', commit: 'aaa', quick: true },
    completion: { date: '2026-11-29', commit: 'aaa', quick: true },
  });
  // Later results keep each section's own run.
  const mixed = { ...old, sectionRuns: { completion: { date: '2026-12-07', commit: 'bbb', quick: false } } } as Partial<BenchResults>;
  assert.equal(earlierRuns(mixed).completion.commit, 'bbb');
  assert.equal(earlierRuns(mixed).decode.commit, 'aaa');
  assert.deepEqual(earlierRuns({}), {});
});

test('the report names the sections that another run measured, grouped by run', () => {
  const r = {
    machine: machine('2026-12-07', 'bbb'),
    sectionRuns: {
      decode: { date: '2026-11-29', commit: 'aaa', quick: true },
      peers: { date: '2026-11-29', commit: 'aaa', quick: true },
      completion: { date: '2026-12-07', commit: 'bbb', quick: false },
    },
  } as unknown as BenchResults;
  assert.deepEqual(earlierSections(r), ['decode, peers: 2026-11-29 · commit `aaa` · quick run']);
  assert.deepEqual(earlierSections({ ...r, sectionRuns: undefined }), []);
});
