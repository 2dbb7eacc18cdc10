// ESLint for the browser extension's scripts, run from extension/ (kept free of tooling so
// the browser loads it as it is): the recommended rules, browser and WebExtension globals.
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  js.configs.recommended,
  {
    files: ["*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: {...globals.browser, ...globals.webextensions}
    },
    rules: {
      "no-unused-vars": ["error", {"varsIgnorePattern": "^ignored$"}],
      "eqeqeq": "error",
      "no-var": "error",
      "prefer-const": "error"
    }
  }
];
