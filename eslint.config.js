// Lint rules: typescript-eslint's recommended set plus the habits from STYLE.md
// (no stray console in core code: reporters own the output streams).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'bin/**',
      'coverage/**',
      '.kmatrix/**',
      'kmatrix-out/**',
      'kmatrix-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    // Promises whose failure matters are awaited or handled (recommendedTypeChecked has both
    // rules; named here because the architecture relies on them).
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'off',
      // Fakes and seams implement async interfaces without awaiting anything: not a bug.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    languageOptions: { globals: globals.node },
  },
  {
    files: ['bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests read the CLI's --json output with JSON.parse: untyped by nature, asserted field by field.
    files: ['test/**'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
);
