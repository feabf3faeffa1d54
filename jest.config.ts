/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// middy 7 ships ESM with `import`-only exports, and aws-lite's plugins ESM only; Jest runs CommonJS, so their files are transformed by swc
// and their entry points are named explicitly (Jest's resolver asks for the `require` condition).
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!(@middy|@aws-lite)/)'],
  moduleNameMapper: { '^@middy/([a-z-]+)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  testTimeout: 20_000,
  setupFiles: ['<rootDir>/tests/helpers/quiet-metrics.ts'],
};

export default config;
