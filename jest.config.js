/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  setupFiles: ['<rootDir>/test/helpers/quiet-sdk.ts'],
  transform: {
    // tsconfig's isolatedModules makes ts-jest transpile only; `npm test` type-checks once with tsc.
    '^.+\\.tsx?$': ['ts-jest', {}],
  },
  // Synthesizing the full app takes seconds; the default 5 s would make slow machines flaky.
  testTimeout: 60000,
};
