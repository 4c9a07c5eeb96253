import type { Config } from 'jest';

// ts-jest compiles TypeScript (and devalue, which ships ESM only) to CommonJS.
// Type errors are checked separately by `npm run typecheck` (isolatedModules keeps jest fast).
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
  },
  transformIgnorePatterns: ['/node_modules/(?!devalue/)'],
  globalSetup: '<rootDir>/spec/setup/global-setup.ts',
  globalTeardown: '<rootDir>/spec/setup/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
