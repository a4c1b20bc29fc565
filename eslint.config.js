// Type-aware lint for the TypeScript sources and tests: promises must be awaited or handled,
// no `any`, no ts-ignore. Import cycles are checked by scripts/check-cycles.mjs.
import tseslint from "typescript-eslint"

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "bench/**", "scripts/**", "**/*.config.ts", "**/test-results/**"] },
  {
    files: ["packages/*/{src,test}/**/*.ts", "apps/*/{src,test}/**/*.ts", "playwright/*.ts"],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { "@typescript-eslint": tseslint.plugin },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      "@typescript-eslint/await-thenable": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/ban-ts-comment": "error",
    },
  },
)
