/** Test helpers of `@kiosk/alipay-sandbox` (`@kiosk/alipay-sandbox/testing`). */
export * from "./signed-request.ts";
export { createManualClock, type ManualClock } from "../clock.ts";
export * from "./sandbox-fixture.ts";
