// Unit tests: compiled JavaScript of every package's test/ folder (run `npm run build` first).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages'],
  testMatch: ['**/dist/test/**/*.test.js'],
  // deadlines, not speed checks: a loaded 2-core machine runs the large oracle scenarios in seconds
  testTimeout: 30_000,
  reporters: ['default', ['<rootDir>/test/summary-reporter.js', { label: 'unit' }]],
};
