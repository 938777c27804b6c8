/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: { module: 'commonjs', target: 'es2020', esModuleInterop: true } }],
  },
  setupFilesAfterEnv: ['<rootDir>/test/setup-backend.ts'],
  testTimeout: 120000,
};
