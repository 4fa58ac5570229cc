/**
 * Test-only helpers of `@kiosk/alipay-core` (`@kiosk/alipay-core/testing`).
 * Nothing here may be used in production code paths.
 */
export * from "./keys.ts";
export * from "./vectors.ts";
export * from "./fake-clock.ts";
export * from "./mapi-responses.ts";
export * from "./scripted-client.ts";
export * from "./certs.ts";
