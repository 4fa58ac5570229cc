/** Ticket types, prices and slots with live availability, read straight from the database. */
import { defaultAcceptedWallets, parseWalletList } from "@kiosk/alipay-core";
import { dayInZone, type ValidityKind } from "@kiosk/db";
import { KioskError } from "../errors.ts";
import type { AlipayGateway } from "./gateway.ts";
import type { MoneyDeps } from "./money-deps.ts";

export interface CatalogTicketType {
  id: string;
  code: string;
  name: string;
  nameI18n: Record<string, string>;
  description: string;
  descriptionI18n: Record<string, string>;
  priceMinor: number;
  currency: string;
  validityKind: ValidityKind;
}

export interface CatalogSlot {
  id: string;
  kind: "day" | "timed";
  day: string;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  available: number;
}

export interface CatalogAttraction {
  id: string;
  slug: string;
  name: string;
  nameI18n: Record<string, string>;
  currency: string;
  timezone: string;
  ticketKeyId: string;
  ticketPublicKey: string;
  today: string;
  /** Wallet codes the scan screen shows as accepted (issue 21): the attraction's, else the protocol's default. */
  acceptedWallets: readonly string[];
}

function parseI18n(text: string): Record<string, string> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null ? (value as Record<string, string>) : {};
  } catch {
    return {};
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function createCatalogService(
  deps: Pick<MoneyDeps, "db" | "clock" | "acceptedWallets"> & { alipay: Pick<AlipayGateway, "protocol"> },
) {
  const { db, clock } = deps;
  const walletDefault = defaultAcceptedWallets(deps.alipay.protocol, deps.acceptedWallets);

  async function attraction(attractionId: string): Promise<CatalogAttraction> {
    const a = await db.attraction.findUnique({ where: { id: attractionId } });
    if (!a) throw new KioskError("NOT_FOUND", `Attraction ${attractionId} not found`);
    return {
      id: a.id,
      slug: a.slug,
      name: a.name,
      nameI18n: parseI18n(a.nameI18n),
      currency: a.currency,
      timezone: a.timezone,
      ticketKeyId: a.ticketKeyId,
      ticketPublicKey: a.ticketPublicKey,
      today: dayInZone(clock.now().getTime(), a.timezone),
      acceptedWallets: parseWalletList(a.acceptedWallets) ?? walletDefault,
    };
  }

  async function ticketTypes(attractionId: string): Promise<CatalogTicketType[]> {
    const a = await attraction(attractionId);
    const rows = await db.ticketType.findMany({
      where: { attractionId, isActive: true },
      orderBy: [{ sortOrder: "asc" }, { code: "asc" }],
    });
    return rows.map((t) => ({
      id: t.id,
      code: t.code,
      name: t.name,
      nameI18n: parseI18n(t.nameI18n),
      description: t.description,
      descriptionI18n: parseI18n(t.descriptionI18n),
      priceMinor: t.priceMinor,
      currency: a.currency,
      validityKind: t.validityKind as ValidityKind,
    }));
  }

  /** Slots of one day (default: today in the attraction's zone) that have not ended yet. */
  async function slots(input: { attractionId: string; day?: string; kind?: "day" | "timed" }): Promise<CatalogSlot[]> {
    if (input.day !== undefined && !DAY.test(input.day))
      throw new KioskError("BAD_REQUEST", `Day "${input.day}" is not YYYY-MM-DD`);
    const a = await attraction(input.attractionId);
    const day = input.day ?? a.today;
    const rows = await db.slot.findMany({
      where: {
        attractionId: input.attractionId,
        day,
        endsAt: { gt: clock.now() },
        ...(input.kind ? { kind: input.kind } : {}),
      },
      orderBy: [{ kind: "asc" }, { startsAt: "asc" }],
    });
    return rows.map((s) => ({
      id: s.id,
      kind: s.kind as "day" | "timed",
      day: s.day,
      startsAt: s.startsAt,
      endsAt: s.endsAt,
      capacity: s.capacity,
      available: Math.max(0, s.capacity - s.sold - s.held),
    }));
  }

  async function catalog(input: { attractionId: string; day?: string }) {
    const [a, types, daySlots] = await Promise.all([
      attraction(input.attractionId),
      ticketTypes(input.attractionId),
      slots(input),
    ]);
    return { attraction: a, ticketTypes: types, slots: daySlots };
  }

  return { attraction, ticketTypes, slots, catalog };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
