// Lint enforces the architecture (STYLE.md §3.2): dependency direction between
// workspaces, Prisma only inside packages/db, process.env only in config modules,
// no console in packages, one source of money facts, and server literals that keep V8's
// cached hidden classes. Formatting is prettier's job.
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";
import { kioskLintPlugin, MONEY_MODULE } from "./tooling/lint/money-rule.js";
import { spreadRules } from "./tooling/lint/spread-rule.js";

/** The repository's own rules, one plugin (ESLint refuses two plugins of one name). */
const kiosk = { meta: kioskLintPlugin.meta, rules: { ...kioskLintPlugin.rules, ...spreadRules } };

const ENV_READERS = [
  "**/env.ts",
  "**/*.config.{ts,js,mjs}",
  "scripts/**",
  "**/scripts/**",
  "**/bench/**",
  "**/*.test.ts",
  "**/*.test.tsx",
  "**/__tests__/**",
  "e2e/**",
  "tooling/**",
];

const deepImport = {
  group: ["@kiosk/*/src", "@kiosk/*/src/*", "@kiosk/*/src/**"],
  message: "Import a workspace package through its public entry (package.json#exports), not its src/ files.",
};
const prismaOutsideDb = {
  group: ["@prisma/*", "prisma", "prisma/*", "**/generated/sqlite/*", "**/generated/pg/*"],
  message: "Prisma stays inside packages/db: use @kiosk/db.",
};
const intoApps = {
  group: ["@kiosk/kiosk", "@kiosk/kiosk/*", "@kiosk/bridge", "@kiosk/bridge/*", "@kiosk/e2e", "**/apps/**"],
  message: "Packages never import apps.",
};
const anyKioskPackage = (except = []) => ({
  group: ["@kiosk/*", ...except.map((e) => `!${e}`)],
  message: "This package must not depend on other workspace packages (STYLE.md §3.2).",
});

/**
 * Product code (apps/*, packages/*) never imports test entries or tooling. A separate rule
 * (no-restricted-syntax) so it adds to each package's no-restricted-imports instead of replacing it.
 */
const TEST_OR_TOOLING = String.raw`/^@kiosk\/([^/]+\/testing(\/.*)?|conformance(\/.*)?|proof(\/.*)?|e2e(\/.*)?)$/`;
/** The sandbox is a dev/test dependency: product code never loads it (scripts/start.mjs starts it as its own process). */
const SANDBOX = String.raw`/^@kiosk\/alipay-sandbox(\/.*)?$/`;
const ACROSS_WORKSPACES = String.raw`/^(\.\.\/)+(\.\.\/)*(apps|packages|tooling|e2e)\//`;
const TEST_HELPERS = String.raw`/^\.\.?\/(.*\/)?(test|__tests__|testing)\//`;
const productImports = (selector, message) => [
  { selector: `ImportDeclaration[source.value=${selector}]`, message },
  { selector: `ExportNamedDeclaration[source.value=${selector}]`, message },
  { selector: `ExportAllDeclaration[source.value=${selector}]`, message },
  { selector: `ImportExpression[source.value=${selector}]`, message },
];
const PRODUCT_IMPORT_RULES = [
  ...productImports(
    TEST_OR_TOOLING,
    "Product code never imports test entries (@kiosk/*/testing) or tooling (@kiosk/conformance, @kiosk/proof, @kiosk/e2e).",
  ),
  ...productImports(
    SANDBOX,
    "The Alipay sandbox is a dev/test dependency: product code never imports it (npm start runs it as its own process).",
  ),
  ...productImports(TEST_HELPERS, "Product code never imports test helpers (test/, __tests__/, testing/)."),
  ...productImports(
    ACROSS_WORKSPACES,
    "Reach another workspace through its package name (apps → packages only), not a relative path.",
  ),
];
/** Test files, test helpers and dev tools inside product workspaces (may use test entries). */
const NOT_PRODUCT = [
  "**/*.test.ts",
  "**/*.test.tsx",
  "**/__tests__/**",
  "**/testing/**",
  "**/testing.ts",
  "**/test/**",
  "**/bench/**",
];
/** Product source checked for import cycles (import-x no-cycle follows type imports too). */
const CYCLE_CHECKED = ["apps/*/src/**/*.{ts,tsx}", "packages/*/src/**/*.ts", "packages/*/scripts/**/*.ts"];

const restrict = (...patterns) => ({ "no-restricted-imports": ["error", { patterns }] });

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/.next/**",
      "**/.next-standalone/**",
      "**/generated/**",
      "**/dist/**",
      // The kiosk page bundle esbuild writes before every next build (build output, gitignored).
      "apps/kiosk/public/kiosk-app/**",
      "data/**",
      "test-results/**",
      "e2e/artifacts/**",
      "playwright-report/**",
      "**/next-env.d.ts",
      "tooling/lint/fixtures/**",
    ],
  },
  {
    files: ["**/*.{ts,tsx,js,mjs}"],
    languageOptions: { parser: tseslint.parser, ecmaVersion: "latest", sourceType: "module" },
    plugins: { "@typescript-eslint": tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: "off" },
    rules: {
      "no-debugger": "error",
      "no-restricted-properties": [
        "error",
        {
          object: "process",
          property: "env",
          message: "Read configuration in the module's env.ts (or a *.config.ts) only.",
        },
      ],
      ...restrict(deepImport, prismaOutsideDb),
    },
  },
  { files: ENV_READERS, rules: { "no-restricted-properties": "off" } },
  // Money facts (currency exponents, formatting, payment code format and mask) have one source.
  {
    files: ["**/*.{ts,tsx,js,mjs}"],
    ignores: [MONEY_MODULE],
    plugins: { kiosk },
    rules: { "kiosk/no-money-facts": "error" },
  },
  // Server code: no literal that starts with a spread and then adds keys (a new hidden class per
  // call on Node 20; tooling/lint/spread-rule.js). bridge-protocol runs in the kiosk's page too.
  {
    files: ["packages/*/src/**/*.ts"],
    ignores: [...NOT_PRODUCT, "packages/bridge-protocol/**"],
    plugins: { kiosk },
    rules: { "kiosk/no-leading-spread": "error" },
  },
  // Prisma lives in packages/db.
  { files: ["packages/db/**"], rules: restrict(deepImport, intoApps, anyKioskPackage()) },
  {
    files: ["packages/alipay-core/**", "packages/bridge-protocol/**"],
    rules: restrict(deepImport, prismaOutsideDb, intoApps, anyKioskPackage()),
  },
  {
    files: ["packages/alipay-sandbox/**"],
    rules: restrict(
      deepImport,
      prismaOutsideDb,
      intoApps,
      anyKioskPackage(["@kiosk/alipay-core", "@kiosk/alipay-core/*", "@kiosk/log"]),
    ),
  },
  {
    files: ["packages/log/**"],
    rules: restrict(deepImport, prismaOutsideDb, intoApps, {
      regex: "^@kiosk/(?!alipay-core/money$)",
      message: "The logger depends only on the money rules (@kiosk/alipay-core/money).",
    }),
  },
  { files: ["packages/api/**"], rules: restrict(deepImport, prismaOutsideDb, intoApps) },
  { files: ["packages/*/src/**"], ignores: ["packages/*/src/main.ts"], rules: { "no-console": "error" } },
  {
    files: ["apps/bridge/**"],
    rules: restrict(
      deepImport,
      prismaOutsideDb,
      {
        regex: "^@kiosk/(?!bridge-protocol$|alipay-core/money$|log$)",
        message:
          "The bridge depends only on @kiosk/bridge-protocol (and the money rules, @kiosk/alipay-core/money, and the logger, @kiosk/log).",
      },
      { group: ["**/kiosk/**", "@kiosk/kiosk"], message: "The bridge never imports the kiosk app." },
    ),
  },
  {
    files: ["apps/**/*.{ts,tsx,js,mjs}", "packages/**/*.{ts,tsx,js,mjs}"],
    ignores: [...NOT_PRODUCT, "packages/alipay-sandbox/**"],
    rules: { "no-restricted-syntax": ["error", ...PRODUCT_IMPORT_RULES] },
  },
  // No import cycles in product code.
  {
    files: CYCLE_CHECKED,
    ignores: NOT_PRODUCT,
    plugins: { "import-x": importX },
    settings: {
      "import-x/extensions": [".ts", ".tsx", ".js", ".mjs"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts", ".tsx"] },
      "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".tsx", ".js", ".mjs"] })],
    },
    rules: { "import-x/no-cycle": ["error", { ignoreExternal: false }] },
  },
  {
    files: ["apps/kiosk/**"],
    rules: restrict(deepImport, prismaOutsideDb, {
      group: ["@kiosk/bridge", "**/apps/bridge/**"],
      message: "Apps never import each other.",
    }),
  },
);
