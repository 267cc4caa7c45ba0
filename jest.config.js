/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Most of the time goes to the e2e files, which wait on the local account's timers (bake times,
  // aggregation windows) and use little CPU: three workers on two cores halve the wall time. No test
  // depends on speed, so a busy machine makes them slower, not red.
  maxWorkers: 3,
  // jest's 5 s default is a speed limit: on a busy machine a test that reads the IAM reference or
  // packages the service takes longer, and must still pass. Waits in tests end on events, not on time.
  testTimeout: 120_000,
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest'] },
  // middy 6 ships ESM only; let swc turn it into CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  setupFilesAfterEnv: ['aws-sdk-client-mock-jest'],
  collectCoverageFrom: ['shared/**/*.ts', 'functions/**/*.ts', 'tools/**/*.ts'],
  coverageThreshold: { global: { lines: 80, branches: 70 } },
};
