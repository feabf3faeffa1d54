// @ts-check
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.serverless/', '.serverless-footprint/', '.esbuild/', '.bench/', '.debug/', 'coverage/', 'reports/', 'lib/hyperswitch/enums.generated.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Tests read JSON answers whose shape is what they assert.
    files: ['tests/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Command-line entry points talk to a person on stdout.
    files: ['local/**/main.ts', 'local/start.ts', 'local/emulator.ts', 'local/process.ts', 'scripts/**', 'tests/faults/run.ts', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
);
