// Prints one plain closing line ("unit: N passed, N failed, N skipped") after jest's own summary.
class SummaryReporter {
  constructor(globalConfig, options) {
    this.label = (options && options.label) || 'tests';
  }
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    process.stdout.write(`\n${this.label}: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests} skipped\n`);
  }
}
module.exports = SummaryReporter;
