import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'coverage/', 'payload-schema/generated/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  {
    // Espruino's built-in modules (Storage, crypto) only come through require()
    files: ['firmware/platform/**/*.ts', 'firmware/apps/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // ES5 sources embedded verbatim in generated formatter and firmware code
    files: ['payload-schema/src/derived-functions.js'],
    languageOptions: { ecmaVersion: 2015, sourceType: 'module', globals: {} },
    rules: { 'no-var': 'off', 'prefer-const': 'off' },
  },
);
