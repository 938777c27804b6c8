/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': '<rootDir>/tools/jest-esbuild-transform.js' },
  setupFilesAfterEnv: ['<rootDir>/test/setup-backend.ts'],
  testTimeout: 120000,
};
