/**
 * Staff console: sign-in as each role, what each role sees, sign-out, session expiry,
 * and a viewer refused every change, in the UI and when calling the procedures directly.
 */
import { expect, test } from "@playwright/test";
import { demoCredentials } from "../support/system.ts";
import {
  adminCookie,
  createUser,
  loginCookie,
  mutate,
  pairedKiosk,
  query,
  signInUi,
  TrpcError,
  type Role,
  type TestUser,
} from "./staff-support.ts";

const NAV_BY_ROLE: Record<Role, string[]> = {
  viewer: ["Fleet", "Payments", "Reconciliation", "Sales", "Terminals", "My account"],
  cashier: [
    "Fleet",
    "Payments",
    "Reconciliation",
    "Tickets",
    "Gate",
    "Counter sale",
    "Sales",
    "Terminals",
    "My account",
  ],
  supervisor: [
    "Fleet",
    "Payments",
    "Needs attention",
    "Reconciliation",
    "Tickets",
    "Gate",
    "Counter sale",
    "Sales",
    "Terminals",
    "Audit log",
    "Users",
    "My account",
  ],
  admin: [
    "Fleet",
    "Payments",
    "Needs attention",
    "Reconciliation",
    "Tickets",
    "Gate",
    "Counter sale",
    "Sales",
    "Terminals",
    "Audit log",
    "Users",
    "My account",
  ],
};
const ALL_NAV = NAV_BY_ROLE.admin;

let admin: string;
const users = {} as Record<Role, TestUser>;

test.beforeAll(async () => {
  admin = await adminCookie();
  const c = demoCredentials();
  users.admin = { email: c.adminEmail, password: c.adminPassword, role: "admin" };
  for (const role of ["supervisor", "cashier", "viewer"] as const) users[role] = await createUser(admin, role);
});

for (const role of ["admin", "supervisor", "cashier", "viewer"] as const) {
  test(`signs in as ${role} and sees only what the role allows`, async ({ page }) => {
    await signInUi(page, users[role]);
    await expect(page.getByTestId("signed-in-as")).toContainText(role);
    const nav = page.getByRole("navigation", { name: "Console sections" });
    for (const label of ALL_NAV) {
      const link = nav.getByRole("link", { name: label, exact: true });
      if (NAV_BY_ROLE[role].includes(label)) await expect(link).toBeVisible();
      else await expect(link).toHaveCount(0);
    }
    // The fleet table is there for everyone; the service switch only from cashier up, registration from supervisor up.
    await expect(page.getByRole("table", { name: "Kiosks and their live status" })).toBeVisible();
    const serviceButtons = page.getByRole("button", { name: /Take out of service|Return to service/ });
    if (role === "viewer") await expect(serviceButtons).toHaveCount(0);
    else await expect(serviceButtons.first()).toBeVisible();
    await expect(page.getByRole("heading", { name: "Register a kiosk" })).toHaveCount(
      role === "supervisor" || role === "admin" ? 1 : 0,
    );
    await page.screenshot({ path: `artifacts/screens/staff-fleet-${role}.png`, fullPage: true });

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page.getByRole("heading", { name: "Staff console sign-in" })).toBeVisible();
    await expect(page.getByText("You are signed out.")).toBeVisible();
  });
}

test("a viewer's screens offer no changes; a page the role may not use says so", async ({ page }) => {
  await signInUi(page, users.viewer);
  await page.goto("/staff/reconciliation");
  await expect(page.getByRole("button", { name: "Run reconciliation" })).toBeDisabled();
  await page.goto("/staff/gate");
  await expect(page.getByRole("main").getByRole("alert")).toContainText("needs the cashier role");
  await page.goto("/staff/attention");
  await expect(page.getByRole("main").getByRole("alert")).toContainText("needs the supervisor role");
  await page.goto("/staff/users");
  await expect(page.getByRole("main").getByRole("alert")).toContainText("needs the supervisor role");
});

test("an ended session sends the console back to sign-in with a note", async ({ page }) => {
  await signInUi(page, users.supervisor);
  const cookie = (await page.context().cookies()).find((c) => c.name === "kiosk_session");
  expect(cookie).toBeTruthy();
  // End the session on the server, as expiry or a sign-out elsewhere would.
  await mutate("auth.logout", undefined, { cookie: `kiosk_session=${cookie!.value}` });
  await page.getByRole("link", { name: "Payments", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Staff console sign-in" })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByText("Your session has expired or was ended")).toBeVisible();
});

test("a viewer cannot change anything by calling the procedures directly", async () => {
  const viewer = await loginCookie(users.viewer.email, users.viewer.password);
  const kiosk = await pairedKiosk(admin);
  const attempts: [string, unknown][] = [
    ["fleet.setInService", { kioskId: kiosk.id, isInService: false, reason: "viewer tries" }],
    ["fleet.register", { attractionId: kiosk.attractionId, name: "viewer kiosk" }],
    ["fleet.issuePairingCode", { kioskId: kiosk.id }],
    [
      "staff.createUser",
      { email: "viewer-made@example.com", name: "x", password: "long-enough-password", role: "admin" },
    ],
    ["staff.deactivateUser", { userId: "staff_admin", reason: "viewer tries" }],
    ["staff.createApiKey", { attractionId: kiosk.attractionId, name: "x", scopes: ["catalog:read"] }],
    ["staff.revokeApiKey", { apiClientId: "x", reason: "viewer tries" }],
    ["payment.resolve", { paymentId: "pay_x", to: "PAID", reason: "viewer tries" }],
    ["refund.create", { paymentId: "pay_x", reason: "viewer tries" }],
    ["reconciliation.run", { day: "2024-01-01" }],
    ["reconciliation.resolveDifference", { differenceId: "rdf_x", resolution: "viewer tries" }],
    ["ticket.redeem", { code: "a.b.c-long-enough" }],
    ["console.attentionQuery", { paymentId: "pay_x", reason: "viewer tries" }],
    ["console.attentionCancel", { paymentId: "pay_x", reason: "viewer tries" }],
    ["console.attentionRefund", { paymentId: "pay_x", reason: "viewer tries" }],
    ["console.resolvePayment", { paymentId: "pay_x", to: "PAID", reason: "viewer tries" }],
    ["console.refund", { paymentId: "pay_x", reason: "viewer tries" }],
    ["console.runReconciliation", { day: "2024-01-01" }],
    ["console.resolveDifference", { differenceId: "rdf_x", resolution: "viewer tries" }],
    ["console.redeem", { code: "a.b.c-long-enough" }],
    ["console.requestReprint", { ticketId: "tkt_x", kioskId: kiosk.id, reason: "viewer tries" }],
  ];
  for (const [path, input] of attempts) {
    const error = await mutate(path, input, { cookie: viewer }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error, `${path} must be refused`).toBeInstanceOf(TrpcError);
    expect((error as TrpcError).code, path).toBe("FORBIDDEN");
  }
  // Nothing changed: the kiosk is still in service and no viewer-made account exists.
  const fleet = await query<{ id: string; isInService: boolean }[]>("fleet.list", undefined, { cookie: admin });
  expect(fleet.find((k) => k.id === kiosk.id)?.isInService).toBe(true);
  const staff = await query<{ email: string }[]>("staff.listUsers", undefined, { cookie: admin });
  expect(staff.some((u) => u.email === "viewer-made@example.com")).toBe(false);
  // Reads are fine for a viewer.
  await expect(
    query("console.sales", { fromDay: "2024-01-01", toDay: "2024-01-02" }, { cookie: viewer }),
  ).resolves.toBeTruthy();
});
