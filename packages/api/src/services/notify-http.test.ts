/**
 * The notify route while a notification cannot be applied (the database is away): 503 with
 * Retry-After, never an acknowledgement, so the gateway sends it again — for Alipay's form
 * notifications and for Antom's JSON notifyPayment alike.
 */
import { describe, expect, it } from "vitest";
import { handleNotifyRequest } from "./notify-http.ts";
import type { NotifyService } from "./notify-service.ts";

/** The service as it is while its database is unreachable: every handle rejects. */
const databaseAway: NotifyService = {
  handle: () => Promise.reject(new Error("Can't reach database server at 127.0.0.1:5432")),
};

describe("notify route while the database is away", () => {
  it("answers an Alipay form notification 503 with Retry-After", async () => {
    const response = await handleNotifyRequest(
      new Request("http://127.0.0.1/api/alipay/notify", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "notify_id=1&trade_status=TRADE_SUCCESS&sign=x",
      }),
      databaseAway,
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("30");
  });

  it("answers an Antom notifyPayment 503 with Retry-After, not an error page", async () => {
    const response = await handleNotifyRequest(
      new Request("http://127.0.0.1/api/alipay/notify", {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=UTF-8",
          signature: "algorithm=RSA256,keyVersion=1,signature=abc",
          "request-time": "1764900000000",
          "client-id": "SANDBOX_X",
        },
        body: JSON.stringify({ notifyType: "PAYMENT_RESULT", paymentRequestId: "P1" }),
      }),
      databaseAway,
    );
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("30");
  });
});
