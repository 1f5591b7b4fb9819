import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['**/adapters/**', '**/api/**', '**/engine/**', '**/cli/**'], message: 'the core stays pure: no outer layers' },
          { group: ['node:fs', 'node:net', 'node:http', 'fs', 'better-sqlite3', 'postgres', 'fastify', '@nats-io/*'], message: 'the core does no I/O' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'fetch', message: 'the core does no I/O' }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'take now as an input' },
        { object: 'Math', property: 'random', message: 'take a seeded generator as an input' }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly' } },
  },
);
