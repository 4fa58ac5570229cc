/** Actors of the money services from the authenticated tRPC context. */
import type { Actor } from "../../services/money-deps.ts";
import type { Seller } from "../init.ts";

export function kioskActor(ctx: { kiosk: { id: string; attractionId: string } }): Actor {
  return { type: "kiosk", id: ctx.kiosk.id, attractionId: ctx.kiosk.attractionId };
}

export function staffActor(ctx: {
  staff: { id: string; role: "admin" | "supervisor" | "cashier" | "viewer" };
}): Extract<Actor, { type: "staff" }> {
  return { type: "staff", id: ctx.staff.id, role: ctx.staff.role };
}

export function apiClientActor(ctx: { apiClient: { id: string; attractionId: string } }): Actor {
  return { type: "api_client", id: ctx.apiClient.id, attractionId: ctx.apiClient.attractionId };
}

/** The kiosk or the cashier behind a seller procedure (init.ts sellerProcedure). */
export function sellerActor(ctx: { seller: Seller }): Actor {
  const { seller } = ctx;
  return seller.type === "kiosk" ? kioskActor(seller) : staffActor(seller);
}
