"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { trpcErrorCode, useTRPC } from "../../../lib/trpc.tsx";
import type { OrderView } from "../api-types.ts";
import { useI18n } from "../i18n-context.tsx";
import { useFrameProps, useKiosk } from "../kiosk-context.tsx";
import { KioskButton } from "../ui/button.tsx";
import { ScreenFrame } from "../ui/screen-frame.tsx";
import { useNow } from "../ui/use-now.ts";

/** Creates the order (holding the places) when there is none yet, then shows it priced by the server. */
export function SummaryScreen({ orderId }: { orderId: string | null }) {
  const { state, dispatch, catalog } = useKiosk();
  const frame = useFrameProps();
  const i18n = useI18n();
  const { t } = i18n;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const create = useMutation(
    trpc.order.create.mutationOptions({
      onSuccess: (order) => {
        queryClient.setQueryData(trpc.order.get.queryKey({ orderId: order.id }), order);
        dispatch({ type: "order_created", orderId: order.id });
      },
      onError: (error) => {
        const code = trpcErrorCode(error);
        dispatch({
          type: "order_failed",
          reason: code === "CONFLICT" || code === "BAD_REQUEST" ? "not_enough" : "error",
        });
      },
    }),
  );
  const isStarted = useRef(false);
  useEffect(() => {
    if (orderId !== null || isStarted.current) return;
    isStarted.current = true;
    create.mutate({ lines: state.cart, locale: state.locale });
  }, [orderId, create, state.cart, state.locale]);

  const order = useQuery({ ...trpc.order.get.queryOptions({ orderId: orderId ?? "" }), enabled: orderId !== null });
  return (
    <ScreenFrame
      {...frame}
      screenName="summary"
      title={t("summary.title")}
      step={2}
      footer={
        <div className="flex flex-wrap items-center justify-between gap-6">
          <KioskButton variant="secondary" onClick={() => dispatch({ type: "change_tickets" })}>
            ← {t("summary.change")}
          </KioskButton>
          <KioskButton size="xl" disabled={!order.data} onClick={() => dispatch({ type: "pay_pressed" })}>
            <AlipayMark /> {t("summary.pay")}
          </KioskButton>
        </div>
      }
    >
      {order.data ? (
        <OrderDetails
          order={order.data}
          timeZone={catalog?.attraction.timezone ?? "UTC"}
          onExpired={() => dispatch({ type: "hold_expired" })}
        />
      ) : (
        <p role="status" className="flex items-center gap-4 text-3xl">
          <span
            className="k-spinner h-10 w-10 rounded-full border-4 border-current border-t-transparent"
            aria-hidden="true"
          />
          {t("summary.creating")}
        </p>
      )}
    </ScreenFrame>
  );
}

export function OrderDetails({
  order,
  timeZone,
  onExpired,
}: {
  order: OrderView;
  timeZone: string;
  onExpired: () => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const { catalog } = useKiosk();
  return (
    <div className="grid gap-6">
      <ul className="grid gap-3">
        {order.lines.map((l) => {
          const type = catalog?.ticketTypes.find((tt) => tt.id === l.ticketTypeId);
          const name = i18n.pick(type?.nameI18n, l.ticketTypeName);
          const isAllDay = type?.validityKind === "date";
          return (
            <li
              key={l.id}
              className="flex flex-wrap items-start justify-between gap-4 rounded-2xl border-2 border-(--k-border) bg-(--k-surface) p-5"
            >
              <div className="grid gap-1">
                <span className="text-3xl font-bold">{t("summary.lineQty", { count: l.quantity, name })}</span>
                <span className="text-xl text-(--k-muted)">
                  {i18n.date(l.slotStartsAt, timeZone)} ·{" "}
                  {isAllDay ? t("tickets.validAllDay") : i18n.timeRange(l.slotStartsAt, l.slotEndsAt, timeZone)}
                </span>
              </div>
              <span className="text-3xl font-semibold tabular-nums">
                {i18n.money(l.lineTotalMinor, order.currency)}
              </span>
            </li>
          );
        })}
      </ul>
      <div className="flex items-baseline justify-between border-t-4 border-(--k-text) pt-4">
        <span className="text-3xl font-bold">{t("common.total")}</span>
        <span className="text-5xl font-bold tabular-nums" data-testid="order-total">
          {i18n.money(order.totalMinor, order.currency)}
        </span>
      </div>
      <HoldCountdown expiresAt={order.expiresAt} onExpired={onExpired} />
    </div>
  );
}

export function HoldCountdown({ expiresAt, onExpired }: { expiresAt: Date; onExpired: () => void }) {
  const { t, countdown } = useI18n();
  const now = useNow(500);
  const msLeft = expiresAt.getTime() - now;
  const fired = useRef(false);
  useEffect(() => {
    if (msLeft <= 0 && !fired.current) {
      fired.current = true;
      onExpired();
    }
  }, [msLeft, onExpired]);
  return (
    <p className="flex items-center gap-3 text-2xl text-(--k-muted)">
      <ClockIcon />
      <span>{t("summary.heldFor", { time: countdown(msLeft) })}</span>
    </p>
  );
}

function ClockIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 24 24" className="h-8 w-8" fill="none" stroke="currentColor" strokeWidth="2">
      <circle cx="12" cy="12" r="9" />
      <path d="M12 7v5l3 2" strokeLinecap="round" />
    </svg>
  );
}

export function AlipayMark() {
  return (
    <svg aria-hidden="true" viewBox="0 0 32 32" className="h-9 w-9">
      <rect width="32" height="32" rx="8" fill="#ffffff" />
      <text x="16" y="23" textAnchor="middle" fontSize="20" fontWeight="800" fill="#0b4a9e">
        支
      </text>
    </svg>
  );
}
