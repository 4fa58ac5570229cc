import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@kiosk/api/trpc/root.ts";

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type FleetKiosk = RouterOutputs["fleet"]["list"][number];
export type TransactionRow = RouterOutputs["console"]["transactions"]["items"][number];
export type TransactionDetail = RouterOutputs["console"]["transaction"];
export type SalesReport = RouterOutputs["console"]["sales"];
export type StaffMe = RouterOutputs["auth"]["me"];
export type PaymentState = TransactionRow["state"];
