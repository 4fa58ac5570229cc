/** Public API of `@kiosk/alipay-core`. */
export * from "./signing.ts";
