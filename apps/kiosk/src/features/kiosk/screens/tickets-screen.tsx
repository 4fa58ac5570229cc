"use client";
import { multiplyMinor, sumMinor } from "@kiosk/alipay-core/money";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { addDays, dayAsDate } from "../../../lib/i18n/format.ts";
import { useTRPC } from "../../../lib/trpc.tsx";
import type { CatalogSlot, CatalogTicketType } from "../api-types.ts";
import { cartCount, type CartLine } from "../flow/kiosk-machine.ts";
import { useI18n } from "../i18n-context.tsx";
import { useFrameProps, useKiosk } from "../kiosk-context.tsx";
import { KioskButton } from "../ui/button.tsx";
import { ScreenFrame } from "../ui/screen-frame.tsx";

export const MAX_TICKETS = 10;
const DAYS_SHOWN = 5;
const FEW_LEFT = 10;
const AVAILABILITY_REFRESH_MS = 10_000;

export function TicketsScreen({ notice }: { notice: "not_enough" | "hold_expired" | null }) {
  const { state, dispatch, catalog } = useKiosk();
  const frame = useFrameProps();
  const i18n = useI18n();
  const { t } = i18n;
  const trpc = useTRPC();
  const today = catalog?.attraction.today ?? null;
  const [day, setDay] = useState<string | null>(state.selection.day);
  const chosenDay = day ?? today;
  const [timedSlotId, setTimedSlotId] = useState<string | null>(state.selection.timedSlotId);

  const dayCatalog = useQuery({
    ...trpc.catalog.forKiosk.queryOptions(chosenDay ? { day: chosenDay } : undefined),
    enabled: chosenDay !== null,
    refetchInterval: AVAILABILITY_REFRESH_MS,
  });
  const data = dayCatalog.data ?? null;
  const tz = data?.attraction.timezone ?? catalog?.attraction.timezone ?? "UTC";
  const currency = data?.attraction.currency ?? catalog?.attraction.currency ?? "SGD";
  const types: CatalogTicketType[] = data?.ticketTypes ?? [];
  const daySlot = data?.slots.find((s) => s.kind === "day") ?? null;
  const timedSlots = (data?.slots ?? []).filter((s) => s.kind === "timed");
  const hasTimedTypes = types.some((tt) => tt.validityKind === "slot");
  const timedSlot = timedSlots.find((s) => s.id === timedSlotId) ?? null;

  const quantities = useMemo(() => {
    const q = new Map<string, number>();
    for (const l of state.cart) q.set(l.ticketTypeId, (q.get(l.ticketTypeId) ?? 0) + l.quantity);
    return q;
  }, [state.cart]);
  const total = cartCount(state.cart);
  const totalMinor = sumMinor(types.map((tt) => multiplyMinor(tt.priceMinor, quantities.get(tt.id) ?? 0)));

  const buildCart = (q: Map<string, number>, slot: CatalogSlot | null): CartLine[] =>
    types.flatMap((tt) => {
      const quantity = q.get(tt.id) ?? 0;
      const slotId = tt.validityKind === "date" ? daySlot?.id : slot?.id;
      return quantity > 0 && slotId ? [{ ticketTypeId: tt.id, slotId, quantity }] : [];
    });

  const setQuantity = (tt: CatalogTicketType, quantity: number) => {
    const q = new Map(quantities);
    q.set(tt.id, quantity);
    dispatch({ type: "cart_changed", cart: buildCart(q, timedSlot), day: chosenDay, timedSlotId });
  };
  const chooseDay = (d: string) => {
    setDay(d);
    setTimedSlotId(null);
    dispatch({ type: "cart_changed", cart: [], day: d, timedSlotId: null });
  };
  const chooseSlot = (slot: CatalogSlot) => {
    setTimedSlotId(slot.id);
    dispatch({ type: "cart_changed", cart: buildCart(quantities, slot), day: chosenDay, timedSlotId: slot.id });
  };

  const timedCount = types
    .filter((tt) => tt.validityKind === "slot")
    .reduce((n, tt) => n + (quantities.get(tt.id) ?? 0), 0);
  const dateCount = types
    .filter((tt) => tt.validityKind === "date")
    .reduce((n, tt) => n + (quantities.get(tt.id) ?? 0), 0);
  const isOverTimed = timedSlot !== null && timedCount > timedSlot.available;
  const isOverDay = daySlot !== null && dateCount > daySlot.available;
  const canContinue = total > 0 && !isOverTimed && !isOverDay && !(timedCount > 0 && !timedSlot);

  const days = today ? Array.from({ length: DAYS_SHOWN }, (_, i) => addDays(today, i)) : [];
  const dayLabel = (d: string, i: number) =>
    i === 0 ? t("tickets.today") : i === 1 ? t("tickets.tomorrow") : i18n.shortDate(dayAsDate(d), "UTC");

  return (
    <ScreenFrame
      {...frame}
      screenName="tickets"
      title={t("tickets.title")}
      step={1}
      footer={
        <div className="flex flex-wrap items-center justify-between gap-6">
          <KioskButton variant="secondary" onClick={() => dispatch({ type: "back" })}>
            ← {t("common.back")}
          </KioskButton>
          <div className="flex flex-1 flex-col items-end" aria-live="polite">
            <span className="text-xl text-(--k-muted)">
              {total > 0 ? t("tickets.selected", { count: total }) : t("tickets.nothingSelected")}
            </span>
            <span className="text-4xl font-bold tabular-nums" data-testid="cart-total">
              {t("common.total")} {i18n.money(totalMinor, currency)}
            </span>
          </div>
          <KioskButton size="xl" disabled={!canContinue} onClick={() => dispatch({ type: "tickets_confirmed" })}>
            {t("common.continue")} →
          </KioskButton>
        </div>
      }
    >
      {notice ? (
        <p
          role="alert"
          className="rounded-2xl border-2 border-(--k-warning) bg-(--k-warning-bg) px-6 py-4 text-2xl font-semibold text-(--k-text)"
        >
          {notice === "not_enough" ? t("tickets.notEnough") : t("summary.holdExpired")}
        </p>
      ) : null}
      {dayCatalog.isError && !data ? (
        <p role="alert" className="text-2xl text-(--k-danger)">
          {t("tickets.loadFailed")}
        </p>
      ) : null}

      <section aria-labelledby="k-days" className="grid gap-4">
        <h2 id="k-days" className="text-3xl font-bold">
          {t("tickets.dateHeading")}
        </h2>
        <div className="flex flex-wrap gap-3" role="group" aria-labelledby="k-days">
          {days.map((d, i) => (
            <KioskButton
              key={d}
              variant={d === chosenDay ? "primary" : "secondary"}
              size="md"
              aria-pressed={d === chosenDay}
              onClick={() => chooseDay(d)}
              className="min-w-40 flex-col gap-0 py-2"
            >
              <span>{dayLabel(d, i)}</span>
              {i < 2 ? <span className="text-base font-normal">{i18n.shortDate(dayAsDate(d), "UTC")}</span> : null}
            </KioskButton>
          ))}
        </div>
      </section>

      {hasTimedTypes ? (
        <section aria-labelledby="k-times" className="grid gap-4">
          <h2 id="k-times" className="text-3xl font-bold">
            {t("tickets.timeHeading")}
          </h2>
          <p className="text-xl text-(--k-muted)">{t("tickets.timeHint")}</p>
          {data && timedSlots.length === 0 ? (
            <p className="text-2xl" data-testid="no-times">
              {t("tickets.noTimes")}
            </p>
          ) : null}
          <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4" role="group" aria-labelledby="k-times">
            {timedSlots.map((slot) => {
              const isSoldOut = slot.available <= 0;
              const isSelected = slot.id === timedSlotId;
              const availability = isSoldOut
                ? t("tickets.soldOut")
                : slot.available <= FEW_LEFT
                  ? `${t("tickets.fewLeft")} · ${t("tickets.placesLeft", { count: slot.available })}`
                  : t("tickets.placesLeft", { count: slot.available });
              return (
                <KioskButton
                  key={slot.id}
                  size="md"
                  variant={isSelected ? "primary" : "secondary"}
                  aria-pressed={isSelected}
                  disabled={isSoldOut}
                  onClick={() => chooseSlot(slot)}
                  className="flex-col gap-0 py-3"
                  data-testid="slot"
                >
                  <span className="text-2xl font-bold tabular-nums">{i18n.time(slot.startsAt, tz)}</span>
                  <span
                    className={`text-base font-normal ${isSoldOut ? "" : slot.available <= FEW_LEFT && !isSelected ? "text-(--k-warning)" : ""}`}
                  >
                    {availability}
                  </span>
                </KioskButton>
              );
            })}
          </div>
        </section>
      ) : null}

      <section aria-labelledby="k-types" className="grid gap-4">
        <h2 id="k-types" className="text-3xl font-bold">
          {t("tickets.typesHeading")}
        </h2>
        {!data ? <p className="text-2xl text-(--k-muted)">{t("common.loading")}</p> : null}
        <ul className="grid gap-4">
          {types.map((tt) => {
            const name = i18n.pick(tt.nameI18n, tt.name);
            const quantity = quantities.get(tt.id) ?? 0;
            const isTimed = tt.validityKind === "slot";
            const isBlocked = isTimed && !timedSlot;
            const slot = isTimed ? timedSlot : daySlot;
            const isAtMax =
              total >= MAX_TICKETS || (slot !== null && (isTimed ? timedCount : dateCount) >= slot.available);
            return (
              <li
                key={tt.id}
                className="flex flex-wrap items-center justify-between gap-4 rounded-2xl border-2 border-(--k-border) bg-(--k-surface) p-5"
                data-testid="ticket-type"
              >
                <div className="grid min-w-64 flex-1 gap-1">
                  <span className="text-3xl font-bold">{name}</span>
                  <span className="text-2xl tabular-nums">
                    {i18n.money(tt.priceMinor, currency)}{" "}
                    <span className="text-xl text-(--k-muted)">/ {t("tickets.each")}</span>
                  </span>
                  <span className="text-lg text-(--k-muted)">
                    {isBlocked
                      ? t("tickets.chooseTimeFirst")
                      : isTimed
                        ? t("tickets.validAtTime")
                        : t("tickets.validAllDay")}
                  </span>
                </div>
                <div className="flex items-center gap-3">
                  <KioskButton
                    variant="secondary"
                    className="h-20 w-20 p-0 text-4xl"
                    aria-label={t("tickets.remove", { name })}
                    disabled={quantity === 0}
                    onClick={() => setQuantity(tt, quantity - 1)}
                  >
                    −
                  </KioskButton>
                  <output
                    className="w-16 text-center text-4xl font-bold tabular-nums"
                    aria-live="polite"
                    aria-label={t("tickets.quantity", { name, count: quantity })}
                  >
                    {i18n.number(quantity)}
                  </output>
                  <KioskButton
                    variant="secondary"
                    className="h-20 w-20 p-0 text-4xl"
                    aria-label={t("tickets.add", { name })}
                    disabled={isBlocked || isAtMax}
                    onClick={() => setQuantity(tt, quantity + 1)}
                  >
                    +
                  </KioskButton>
                </div>
              </li>
            );
          })}
        </ul>
        {total >= MAX_TICKETS ? (
          <p className="text-xl text-(--k-muted)">{t("tickets.maxReached", { max: MAX_TICKETS })}</p>
        ) : null}
      </section>
    </ScreenFrame>
  );
}
