import { PAYMENT_STATE_NAMES } from "@kiosk/alipay-core";
import { PAYMENT_STATES } from "@kiosk/db";
import { describe, expect, it } from "vitest";

// packages/db may not import alipay-core (dependency direction), so the Payment.state column's
// allowed values are listed there again; this keeps the two lists the same.
describe("payment state names", () => {
  it("the database's Payment.state values are exactly the state machine's states", () => {
    expect([...PAYMENT_STATES].sort()).toEqual([...PAYMENT_STATE_NAMES].sort());
  });
});
