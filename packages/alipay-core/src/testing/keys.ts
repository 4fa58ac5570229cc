/** The public test credentials moved to ../public-test-keys.ts (@kiosk/alipay-core/public-test-keys); re-exported for tests. */
export * from "../public-test-keys.ts";
