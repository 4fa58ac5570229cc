"use client";
/** The first step of a counter sale: the ticket types, their time slots and quantities → an order. */
import { multiplyMinor, sumMinor } from "@kiosk/alipay-core/money";
import { useMutation } from "@tanstack/react-query";
import { pickI18n, type Locale } from "../../lib/i18n/locales.ts";
import { useTRPC } from "../../lib/trpc.tsx";
import type { Catalog } from "../kiosk/api-types.ts";
import { formatMoney } from "../staff/format.ts";
import { Button, ErrorText, inputClass } from "../staff/ui.tsx";

export interface Cart {
  quantities: Record<string, number>;
  slotFor: Record<string, string>;
}
export const EMPTY_CART: Cart = { quantities: {}, slotFor: {} };

export function ChooseTickets({
  catalog,
  locale,
  cart,
  onCartChange,
  onOrdered,
}: {
  catalog: Catalog;
  locale: Locale;
  cart: Cart;
  onCartChange: (c: Cart) => void;
  onOrdered: (orderId: string) => void;
}) {
  const trpc = useTRPC();
  const { quantities, slotFor } = cart;
  const setQuantities = (q: Record<string, number>) => onCartChange({ ...cart, quantities: q });
  const setSlotFor = (s: Record<string, string>) => onCartChange({ ...cart, slotFor: s });
  const create = useMutation(trpc.order.create.mutationOptions({ onSuccess: (o) => onOrdered(o.id) }));
  const slotsOf = (validityKind: string) =>
    catalog.slots.filter(
      (s) =>
        s.kind === (validityKind === "date" ? "day" : "timed") && s.available > 0 && s.endsAt.getTime() > Date.now(),
    );
  const lines = catalog.ticketTypes.flatMap((tt) => {
    const quantity = quantities[tt.id] ?? 0;
    const slotId = slotFor[tt.id] ?? slotsOf(tt.validityKind)[0]?.id;
    return quantity > 0 && slotId ? [{ ticketTypeId: tt.id, slotId, quantity }] : [];
  });
  const total = sumMinor(
    lines.map((l) =>
      multiplyMinor(catalog.ticketTypes.find((t) => t.id === l.ticketTypeId)?.priceMinor ?? 0, l.quantity),
    ),
  );
  const tz = catalog.attraction.timezone;
  const time = (d: Date) =>
    new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit" }).format(d);
  return (
    <form
      className="grid gap-2"
      aria-label="Choose tickets"
      onSubmit={(e) => {
        e.preventDefault();
        if (lines.length > 0) create.mutate({ lines, locale });
      }}
    >
      <ul className="grid gap-2">
        {catalog.ticketTypes.map((tt) => {
          const slots = slotsOf(tt.validityKind);
          const name = pickI18n(tt.nameI18n, "en", tt.name);
          const q = quantities[tt.id] ?? 0;
          return (
            <li
              key={tt.id}
              className="flex flex-wrap items-center justify-between gap-2 rounded border border-slate-300 bg-white p-2"
              data-testid="counter-ticket-type"
            >
              <span>
                <span className="font-medium">{name}</span> · {formatMoney(tt.priceMinor, tt.currency)}
              </span>
              <span className="flex items-center gap-2">
                {tt.validityKind !== "date" ? (
                  <select
                    aria-label={`Time slot for ${name}`}
                    className={inputClass}
                    value={slotFor[tt.id] ?? slots[0]?.id ?? ""}
                    onChange={(e) => setSlotFor({ ...slotFor, [tt.id]: e.target.value })}
                  >
                    {slots.map((s) => (
                      <option key={s.id} value={s.id}>
                        {time(s.startsAt)}–{time(s.endsAt)} ({s.available} left)
                      </option>
                    ))}
                  </select>
                ) : null}
                <Button
                  aria-label={`One fewer ${name}`}
                  disabled={q === 0}
                  onClick={() => setQuantities({ ...quantities, [tt.id]: Math.max(0, q - 1) })}
                >
                  −
                </Button>
                <output aria-label={`${name} quantity`} className="w-6 text-center tabular-nums">
                  {q}
                </output>
                <Button
                  aria-label={`One more ${name}`}
                  disabled={slots.length === 0 || q >= 50}
                  onClick={() => setQuantities({ ...quantities, [tt.id]: q + 1 })}
                >
                  +
                </Button>
              </span>
            </li>
          );
        })}
      </ul>
      <div className="flex items-center justify-between">
        <span className="text-lg font-semibold" data-testid="counter-total">
          Total {formatMoney(total, catalog.attraction.currency)}
        </span>
        <Button type="submit" tone="primary" disabled={lines.length === 0 || create.isPending}>
          Take payment
        </Button>
      </div>
      <ErrorText error={create.error} />
    </form>
  );
}
