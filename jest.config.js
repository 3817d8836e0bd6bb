// Unit tests: compiled JavaScript of every package's test/ folder (run `npm run build` first).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages'],
  testMatch: ['**/dist/test/**/*.test.js'],
  reporters: ['default', ['<rootDir>/test/summary-reporter.js', { label: 'unit' }]],
};
