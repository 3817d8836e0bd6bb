// Real-kernel suite: boots the qemu VM once (globalSetup), then reports every in-VM case as a test.
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/dist/kernel/**/*.test.js'],
  globalSetup: '<rootDir>/dist/harness/host/global-setup.js',
  testTimeout: 60_000,
  reporters: ['default', ['<rootDir>/summary-reporter.js', { label: 'kernel' }]],
};
