// ESLint for the browser scripts, run from the repository root: the extension's (kept free of
// tooling so the browser loads it as it is; browser and WebExtension globals) and the demo
// portal's pages (plain browser scripts in the ES5 style of the government pages they stand
// in for; popup_form.js defines the one global the others use).
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  js.configs.recommended,
  {
    files: ["extension/*.js"],
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
  },
  {
    files: ["xcapki/demo/static/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: {...globals.browser, xcapkiPopupForm: "readonly"}
    },
    rules: {"eqeqeq": "error"}
  },
  {
    files: ["xcapki/demo/static/popup_form.js"],
    languageOptions: {globals: {xcapkiPopupForm: "off"}},
    rules: {"no-unused-vars": ["error", {"varsIgnorePattern": "^xcapkiPopupForm$"}]}
  }
];
