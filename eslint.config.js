// ESLint (flat config): `npx eslint` from the repository root; `make test` runs it.
// The portal's scripts are classic <script> files run in the browser (no modules, no bundler).
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  {
    ignores: ["node_modules/", "staticfiles/", ".venv/", "media/", "test-artifacts/"],
  },
  {
    files: ["static/js/**/*.js", "dokobit_emulator/assets/**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      globals: { ...globals.browser },
    },
  },
  {
    files: ["eslint.config.js"],
    ...js.configs.recommended,
    languageOptions: { sourceType: "commonjs", globals: { ...globals.node } },
  },
];
