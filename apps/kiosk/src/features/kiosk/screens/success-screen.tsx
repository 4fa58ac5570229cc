"use client";
import { useQuery } from "@tanstack/react-query";
import { useCallback, useMemo } from "react";
import { useTRPC } from "../../../lib/trpc.tsx";
import { usePrinting, type PrintStatus } from "../hooks/use-printing.ts";
import { useI18n } from "../i18n-context.tsx";
import { useFrameProps, useKiosk } from "../kiosk-context.tsx";
import type { PrintContext } from "../printing/print-documents.ts";
import { KioskButton } from "../ui/button.tsx";
import { QrCode } from "../ui/qr-code.tsx";
import { ScreenFrame } from "../ui/screen-frame.tsx";
import { usePaymentFollow } from "../hooks/use-payment-follow.ts";

/** Paid: prints every ticket (then the receipt), shows progress, and the QR codes of any ticket that did not print. */
export function SuccessScreen({
  orderId,
  paymentId,
  isPrintingDone,
  hasPrintFailures,
}: {
  orderId: string;
  paymentId: string;
  isPrintingDone: boolean;
  hasPrintFailures: boolean;
}) {
  const { dispatch, bridge, catalog, state } = useKiosk();
  const frame = useFrameProps();
  const i18n = useI18n();
  const { t } = i18n;
  const trpc = useTRPC();
  const noop = useCallback(() => {}, []);
  const payment = usePaymentFollow(paymentId, noop, !isPrintingDone);
  const order = useQuery(trpc.order.get.queryOptions({ orderId }));
  const tickets = payment && payment.tickets.length > 0 ? payment.tickets : null;

  const context: PrintContext | null = useMemo(() => {
    if (!catalog || !order.data || !payment) return null;
    return {
      locale: state.locale,
      attraction: catalog.attraction,
      ticketTypes: catalog.ticketTypes,
      order: order.data,
      alipayTradeNo: payment.alipayTransId,
      walletName: payment.walletName,
      issuedAt: payment.paidAt ?? new Date(),
    };
  }, [catalog, order.data, payment, state.locale]);

  const onFinished = useCallback(
    (hasFailures: boolean) => dispatch({ type: "printing_finished", hasFailures }),
    [dispatch],
  );
  const statuses = usePrinting({ bridge, tickets, context, onFinished });
  const list = tickets ?? [];
  const done = list.filter((tk) => statuses[tk.id] === "printed" || statuses[tk.id] === "failed").length;
  const failed = list.filter((tk) => statuses[tk.id] === "failed");
  const tz = catalog?.attraction.timezone ?? "UTC";
  const nameOf = (ticketTypeId: string, fallback: string) =>
    i18n.pick(catalog?.ticketTypes.find((tt) => tt.id === ticketTypeId)?.nameI18n, fallback);

  if (isPrintingDone && hasPrintFailures) {
    return (
      <ScreenFrame
        {...frame}
        screenName="print_failed"
        title={t("printFail.title")}
        step={4}
        footer={
          <div className="flex justify-end">
            <KioskButton size="xl" onClick={() => dispatch({ type: "finish" })}>
              ✓ {t("printFail.done")}
            </KioskButton>
          </div>
        }
      >
        <p className="max-w-4xl text-3xl leading-snug" role="alert">
          {t("printFail.body")}
        </p>
        <p className="max-w-4xl rounded-2xl border-2 border-(--k-border-strong) bg-(--k-surface) px-6 py-4 text-2xl font-semibold">
          {t("printFail.help", { orderNo: orderId })}
        </p>
        <ul className="grid gap-6 sm:grid-cols-2">
          {failed.map((tk) => {
            const index = list.indexOf(tk) + 1;
            const name = nameOf(tk.ticketTypeId, tk.ticketTypeName);
            return (
              <li
                key={tk.id}
                className="grid justify-items-center gap-3 rounded-2xl border-2 border-(--k-border) bg-(--k-surface) p-6"
                data-testid="fallback-qr"
              >
                <QrCode value={tk.code} label={t("printFail.qrLabel", { index, name })} />
                <span className="text-2xl font-bold">
                  {t("success.ticketLabel", { index })} · {name}
                </span>
                <span className="text-xl text-(--k-muted)">
                  {i18n.date(tk.validFrom, tz)} ·{" "}
                  {catalog?.ticketTypes.find((tt) => tt.id === tk.ticketTypeId)?.validityKind === "date"
                    ? t("tickets.validAllDay")
                    : i18n.timeRange(tk.validFrom, tk.validUntil, tz)}
                </span>
              </li>
            );
          })}
        </ul>
      </ScreenFrame>
    );
  }

  return (
    <ScreenFrame {...frame} screenName="success" title={t("success.title")} step={4}>
      <div className="grid gap-8">
        <p className="text-3xl font-semibold" role="status" aria-live="polite" data-testid="print-progress">
          {t("success.printing", { done, total: list.length || (payment?.tickets.length ?? 0) })}
        </p>
        <div className="h-5 w-full overflow-hidden rounded-full bg-(--k-track)" aria-hidden="true">
          <div
            className="h-full rounded-full bg-(--k-success) transition-[width] duration-500"
            style={{ width: `${list.length ? Math.round((done / list.length) * 100) : 5}%` }}
          />
        </div>
        <p className="flex items-center gap-4 text-3xl">
          <span aria-hidden="true" className="k-bob text-5xl">
            ⬇
          </span>
          {t("success.takeTickets")}
        </p>
        <ul className="grid gap-3">
          {list.map((tk, i) => (
            <li
              key={tk.id}
              className="flex items-center justify-between gap-4 rounded-2xl border-2 border-(--k-border) bg-(--k-surface) px-6 py-4 text-2xl"
              data-testid="print-row"
              data-status={statuses[tk.id] ?? "queued"}
            >
              <span>
                {t("success.ticketLabel", { index: i + 1 })} · {nameOf(tk.ticketTypeId, tk.ticketTypeName)}
              </span>
              <StatusBadge status={statuses[tk.id] ?? "queued"} />
            </li>
          ))}
        </ul>
      </div>
    </ScreenFrame>
  );
}

function StatusBadge({ status }: { status: PrintStatus }) {
  const { t } = useI18n();
  const styles: Record<PrintStatus, string> = {
    queued: "border-(--k-border-strong) text-(--k-muted)",
    printing: "border-(--k-primary) text-(--k-text)",
    printed: "border-(--k-success) bg-(--k-success-bg) text-(--k-text)",
    failed: "border-(--k-danger) text-(--k-danger)",
  };
  const label = {
    queued: t("success.statusQueued"),
    printing: t("success.statusPrinting"),
    printed: t("success.statusPrinted"),
    failed: t("success.statusFailed"),
  }[status];
  return (
    <span className={`rounded-full border-2 px-4 py-1 text-xl font-semibold ${styles[status]}`}>
      {status === "printed" ? `✓ ${label}` : label}
    </span>
  );
}
