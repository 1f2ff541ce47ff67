// Strict, type-aware lint; `any` is an error everywhere (input is `unknown` until checked).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "build/", "node_modules/", "eslint.config.js", "scripts/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "no-control-regex": "off",
      // Overflows its stack on the recursive JSON types (typescript-eslint 8.73).
      "@typescript-eslint/no-unsafe-class-instance-assignment": "off",
    },
  },
  // node:test's test() returns a promise the runner itself awaits.
  { files: ["test/**/*.ts"], rules: { "@typescript-eslint/no-floating-promises": "off" } },
);
