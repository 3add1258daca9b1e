// A node:test reporter that writes only the final counts, as JSON, for the summary that
// `npm test` prints. Suites (describe blocks) are not counted, only the tests in them.
export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') {
      // A suite that fails by itself (a hook threw, or the file did not load) is a failure no
      // test inside it reports.
      if (event.type === 'test:fail' && event.data.details.error?.failureType !== 'subtestsFailed') counts.failed++;
      continue;
    }
    // Tests cancelled because their suite's hook failed: the suite is counted once instead.
    if (event.data.details?.error?.failureType === 'cancelledByParent') continue;
    if (event.data.skip || event.data.todo) counts.skipped++;
    else if (event.type === 'test:pass') counts.passed++;
    else counts.failed++;
  }
  yield JSON.stringify(counts) + '\n';
}
