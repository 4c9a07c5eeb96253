/** jest + ts-jest, as a user sets them up (the decorators are lowered by TypeScript for ES2022). */
module.exports = {
  testEnvironment: 'node',
  testMatch: ['**/test/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }] },
};
