/** Actors of the money services from the authenticated tRPC context. */
import type { Actor } from "../../services/money-deps.ts";

export function kioskActor(ctx: { kiosk: { id: string; attractionId: string } }): Actor {
  return { type: "kiosk", id: ctx.kiosk.id, attractionId: ctx.kiosk.attractionId };
}

export function staffActor(ctx: { staff: { id: string; role: "admin" | "supervisor" | "cashier" | "viewer" } }): Actor {
  return { type: "staff", id: ctx.staff.id, role: ctx.staff.role };
}

export function apiClientActor(ctx: { apiClient: { id: string; attractionId: string } }): Actor {
  return { type: "api_client", id: ctx.apiClient.id, attractionId: ctx.apiClient.attractionId };
}
