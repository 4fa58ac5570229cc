"use client";
/** The end of a counter sale: tickets printed and/or shown as QR codes with the receipt, or why it failed. */
import { useQuery } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import type { BridgeClient } from "../../lib/bridge-client.ts";
import { pickI18n, type Locale } from "../../lib/i18n/locales.ts";
import { translate, type MessageKey } from "../../lib/i18n/translate.ts";
import { useTRPC } from "../../lib/trpc.tsx";
import type { Catalog, PaymentView } from "../kiosk/api-types.ts";
import { isNotCharged, type FailureReason } from "../kiosk/flow/payment-outcome.ts";
import { usePaymentFollow } from "../kiosk/hooks/use-payment-follow.ts";
import { usePrinting, type PrintStatus } from "../kiosk/hooks/use-printing.ts";
import type { PrintContext } from "../kiosk/printing/print-documents.ts";
import { QrCode } from "../kiosk/ui/qr-code.tsx";
import { formatMoney } from "../staff/format.ts";
import { Button } from "../staff/ui.tsx";

export interface Delivery {
  isPrinted: boolean;
  isShownAsQr: boolean;
}

const STATUS_LABEL: Record<PrintStatus, string> = {
  queued: "queued",
  printing: "printing…",
  printed: "printed",
  failed: "not printed",
};

export function Success({
  orderId,
  paymentId,
  catalog,
  locale,
  delivery,
  bridge,
  onNewSale,
}: {
  orderId: string;
  paymentId: string;
  catalog: Catalog;
  locale: Locale;
  delivery: Delivery;
  bridge: BridgeClient | null;
  onNewSale: () => void;
}) {
  const trpc = useTRPC();
  const noop = useCallback(() => {}, []);
  const payment = usePaymentFollow(paymentId, noop);
  const order = useQuery(trpc.order.get.queryOptions({ orderId }));
  const [isPrintingDone, setPrintingDone] = useState(false);
  const tickets = payment && payment.tickets.length > 0 ? payment.tickets : null;
  const context: PrintContext | null = useMemo(() => {
    if (!order.data || !payment) return null;
    return {
      locale,
      attraction: catalog.attraction,
      ticketTypes: catalog.ticketTypes,
      order: order.data,
      alipayTradeNo: payment.alipayTransId,
      walletName: payment.walletName,
      issuedAt: payment.paidAt ?? new Date(),
    };
  }, [catalog, order.data, payment, locale]);
  const onFinished = useCallback(() => setPrintingDone(true), []);
  const statuses = usePrinting({ bridge: delivery.isPrinted ? bridge : null, tickets, context, onFinished });
  const failed = (tickets ?? []).filter((t) => statuses[t.id] === "failed");
  const qrTickets = delivery.isShownAsQr ? (tickets ?? []) : failed;
  const nameOf = (ticketTypeId: string, fallback: string) =>
    pickI18n(catalog.ticketTypes.find((t) => t.id === ticketTypeId)?.nameI18n, locale, fallback);
  return (
    <div className="grid gap-3" data-testid="counter-success">
      <p role="status" className="text-lg font-semibold text-green-900">
        Paid {payment ? formatMoney(payment.amountMinor, payment.currency) : ""} · order {orderId}
      </p>
      {delivery.isPrinted ? (
        <ul className="grid gap-1 text-sm" aria-label="Printing">
          {(tickets ?? []).map((t, i) => (
            <li key={t.id} data-testid="print-row" data-status={statuses[t.id] ?? "queued"}>
              Ticket {i + 1} · {nameOf(t.ticketTypeId, t.ticketTypeName)}: {STATUS_LABEL[statuses[t.id] ?? "queued"]}
            </li>
          ))}
          <li>Receipt: {isPrintingDone ? "sent to the printer" : "after the tickets"}</li>
        </ul>
      ) : null}
      {qrTickets.length > 0 ? (
        <ul className="grid gap-3 sm:grid-cols-2" aria-label="Ticket QR codes">
          {qrTickets.map((t) => (
            <li
              key={t.id}
              className="grid justify-items-center gap-1 rounded border border-slate-300 bg-white p-2"
              data-testid="ticket-qr"
            >
              <QrCode
                value={t.code}
                size={200}
                label={`QR code of ticket ${nameOf(t.ticketTypeId, t.ticketTypeName)}`}
              />
              <span className="text-sm">{nameOf(t.ticketTypeId, t.ticketTypeName)}</span>
            </li>
          ))}
        </ul>
      ) : null}
      {delivery.isShownAsQr && order.data && payment ? (
        <Receipt order={order.data} payment={payment} catalog={catalog} locale={locale} />
      ) : null}
      <div>
        <Button tone="primary" onClick={onNewSale}>
          New sale
        </Button>
      </div>
    </div>
  );
}

function Receipt({
  order,
  payment,
  catalog,
  locale,
}: {
  order: NonNullable<PrintContext["order"]>;
  payment: PaymentView;
  catalog: Catalog;
  locale: Locale;
}) {
  return (
    <section
      aria-label="Receipt"
      className="max-w-sm rounded border border-slate-300 bg-white p-3 text-sm"
      data-testid="counter-receipt"
    >
      <h3 className="font-semibold">{translate(locale, "print.receiptTitle")}</h3>
      <ul>
        {order.lines.map((l) => (
          <li key={l.ticketTypeId + l.quantity} className="flex justify-between gap-2">
            <span>
              {pickI18n(catalog.ticketTypes.find((t) => t.id === l.ticketTypeId)?.nameI18n, locale, l.ticketTypeName)} ×{" "}
              {l.quantity}
            </span>
            <span className="tabular-nums">{formatMoney(l.lineTotalMinor, order.currency)}</span>
          </li>
        ))}
      </ul>
      <p className="mt-1 flex justify-between font-semibold">
        <span>{translate(locale, "common.total")}</span>
        <span className="tabular-nums">{formatMoney(order.totalMinor, order.currency)}</span>
      </p>
      <p className="text-xs text-slate-600">
        {translate(locale, "print.labelOrderNo")} {order.id} · {translate(locale, "print.labelTradeNo")}{" "}
        {payment.alipayTransId ?? ""}
      </p>
    </section>
  );
}

export function Failure({
  reason,
  locale,
  reference,
  onRetry,
  onNewSale,
}: {
  reason: FailureReason;
  locale: Locale;
  reference: string;
  onRetry: (() => void) | null;
  onNewSale: () => void;
}) {
  return (
    <div className="grid gap-2" data-testid="counter-failure" data-reason={reason}>
      <p role="alert" className="text-lg font-semibold text-red-800">
        {translate(locale, `failure.${reason}.title` as MessageKey)}
      </p>
      <p>{translate(locale, `failure.${reason}.body` as MessageKey, { reference })}</p>
      {isNotCharged(reason) ? <p className="font-semibold">{translate(locale, "common.notCharged")}</p> : null}
      <div className="flex gap-2">
        {onRetry ? (
          <Button tone="primary" onClick={onRetry}>
            Try again with a new code
          </Button>
        ) : null}
        <Button onClick={onNewSale}>New sale</Button>
      </div>
    </div>
  );
}
