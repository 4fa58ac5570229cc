import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@kiosk/api/trpc/root.ts";

type Outputs = inferRouterOutputs<AppRouter>;

export type Catalog = Outputs["catalog"]["forKiosk"];
export type CatalogTicketType = Catalog["ticketTypes"][number];
export type CatalogSlot = Catalog["slots"][number];
export type OrderView = Outputs["order"]["get"];
export type PaymentView = Outputs["payment"]["status"];
export type TicketView = PaymentView["tickets"][number];
