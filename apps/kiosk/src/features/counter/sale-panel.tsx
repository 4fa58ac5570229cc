"use client";
/**
 * One counter sale: choose tickets → take the visitor's payment code (bridge scanner,
 * camera or typed) → the kiosk's paying states (PIN wait, countdown, cancel) → tickets
 * printed on the counter's printer and/or shown as QR codes, and the receipt likewise.
 * Everything goes through the kiosk's own procedures and hooks; the server records the
 * sale against the cashier and their open shift.
 */
import { isPaymentCode, multiplyMinor, sumMinor } from "@kiosk/alipay-core/money";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useCallback, useMemo, useRef, useState } from "react";
import type { BridgeClient, BridgeSnapshot } from "../../lib/bridge-client.ts";
import { LOCALE_NATIVE_NAMES, LOCALES, pickI18n, type Locale } from "../../lib/i18n/locales.ts";
import { translate, type MessageKey } from "../../lib/i18n/translate.ts";
import { trpcErrorCode, useTRPC } from "../../lib/trpc.tsx";
import type { Catalog, PaymentView } from "../kiosk/api-types.ts";
import { isNotCharged, paymentOutcome, type FailureReason, type PayingPhase } from "../kiosk/flow/payment-outcome.ts";
import { useArmedScanner } from "../kiosk/hooks/use-armed-scanner.ts";
import { PAYMENT_DEADLINE_MS, usePaymentFollow } from "../kiosk/hooks/use-payment-follow.ts";
import { usePrinting, type PrintStatus } from "../kiosk/hooks/use-printing.ts";
import type { PrintContext } from "../kiosk/printing/print-documents.ts";
import { QrCode } from "../kiosk/ui/qr-code.tsx";
import { useNow } from "../kiosk/ui/use-now.ts";
import { formatMoney } from "../staff/format.ts";
import { Button, ErrorText, inputClass } from "../staff/ui.tsx";
import { CameraScanner } from "./camera-scanner.tsx";

const SCAN_ARM_MS = 300_000;

type Stage =
  | { name: "choose" }
  | { name: "scan"; orderId: string }
  | { name: "paying"; orderId: string; paymentId: string; isCancelledByCashier: boolean }
  | { name: "success"; orderId: string; paymentId: string }
  | { name: "failure"; orderId: string; reason: FailureReason; paymentId: string | null };

export interface Delivery {
  isPrinted: boolean;
  isShownAsQr: boolean;
}

/** `onSettled`: a payment reached its end (paid, declined, cancelled), so the till's totals changed. */
export function SalePanel({
  attractionId,
  bridge,
  bridgeSnapshot,
  onSettled,
}: {
  attractionId: string;
  bridge: BridgeClient | null;
  bridgeSnapshot: BridgeSnapshot;
  onSettled: () => void;
}) {
  const trpc = useTRPC();
  const catalog = useQuery({ ...trpc.catalog.get.queryOptions({ attractionId }), refetchInterval: 30_000 });
  const [stage, setStage] = useState<Stage>({ name: "choose" });
  const [locale, setLocale] = useState<Locale>("en");
  // The tickets of the sale in progress, kept so "try again" after a decline starts from them.
  const [cart, setCart] = useState<Cart>(EMPTY_CART);
  const isBridgeReady = bridgeSnapshot.connection === "ready";
  const [delivery, setDelivery] = useState<Delivery>({ isPrinted: true, isShownAsQr: true });
  const effective: Delivery = {
    isPrinted: delivery.isPrinted && isBridgeReady,
    isShownAsQr: delivery.isShownAsQr || !isBridgeReady,
  };

  if (!catalog.data)
    return <p role="status">{catalog.isError ? <ErrorText error={catalog.error} /> : "Loading the catalog…"}</p>;
  const newSale = () => {
    setCart(EMPTY_CART);
    setStage({ name: "choose" });
  };

  return (
    <div className="grid gap-3" data-testid="counter-sale" data-stage={stage.name}>
      <div className="flex flex-wrap items-center gap-4 text-sm">
        <label className="flex items-center gap-1">
          Visitor&apos;s language
          <select
            className={inputClass}
            value={locale}
            onChange={(e) => setLocale(e.target.value as Locale)}
            disabled={stage.name !== "choose"}
          >
            {LOCALES.map((l) => (
              <option key={l} value={l}>
                {LOCALE_NATIVE_NAMES[l]}
              </option>
            ))}
          </select>
        </label>
        <label className="flex items-center gap-1">
          <input
            type="checkbox"
            checked={effective.isPrinted}
            disabled={!isBridgeReady}
            onChange={(e) => setDelivery({ ...delivery, isPrinted: e.target.checked })}
          />
          Print tickets and receipt
        </label>
        <label className="flex items-center gap-1">
          <input
            type="checkbox"
            checked={effective.isShownAsQr}
            disabled={!isBridgeReady}
            onChange={(e) => setDelivery({ ...delivery, isShownAsQr: e.target.checked })}
          />
          Show QR codes to photograph
        </label>
        <span data-testid="bridge-state" data-connection={bridgeSnapshot.connection} className="text-xs text-slate-600">
          {isBridgeReady
            ? "Scanner and printer connected (bridge)"
            : "No bridge on this device: camera or typed code; tickets as QR codes"}
        </span>
      </div>
      {stage.name === "choose" ? (
        <ChooseTickets
          catalog={catalog.data}
          locale={locale}
          cart={cart}
          onCartChange={setCart}
          onOrdered={(orderId) => setStage({ name: "scan", orderId })}
        />
      ) : null}
      {stage.name === "scan" ? (
        <TakeCode
          orderId={stage.orderId}
          bridge={isBridgeReady ? bridge : null}
          onStarted={(p) =>
            setStage({ name: "paying", orderId: stage.orderId, paymentId: p.id, isCancelledByCashier: false })
          }
          onHoldExpired={() =>
            setStage({ name: "failure", orderId: stage.orderId, reason: "hold_expired", paymentId: null })
          }
          onAbandon={newSale}
        />
      ) : null}
      {stage.name === "paying" ? (
        <Paying
          key={stage.paymentId}
          paymentId={stage.paymentId}
          isCancelledByCashier={stage.isCancelledByCashier}
          onCancelPressed={() => setStage({ ...stage, isCancelledByCashier: true })}
          onPaid={() => {
            onSettled();
            setStage({ name: "success", orderId: stage.orderId, paymentId: stage.paymentId });
          }}
          onFailed={(reason) => {
            onSettled();
            setStage({ name: "failure", orderId: stage.orderId, reason, paymentId: stage.paymentId });
          }}
        />
      ) : null}
      {stage.name === "success" ? (
        <Success
          orderId={stage.orderId}
          paymentId={stage.paymentId}
          catalog={catalog.data}
          locale={locale}
          delivery={effective}
          bridge={isBridgeReady ? bridge : null}
          onNewSale={newSale}
        />
      ) : null}
      {stage.name === "failure" ? (
        <Failure
          reason={stage.reason}
          locale={locale}
          reference={stage.paymentId ?? stage.orderId}
          // A declined or cancelled payment gave the places back: the retry takes a new order with the same tickets.
          onRetry={stage.reason === "needs_attention" ? null : () => setStage({ name: "choose" })}
          onNewSale={newSale}
        />
      ) : null}
    </div>
  );
}

interface Cart {
  quantities: Record<string, number>;
  slotFor: Record<string, string>;
}
const EMPTY_CART: Cart = { quantities: {}, slotFor: {} };

function ChooseTickets({
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

function TakeCode({
  orderId,
  bridge,
  onStarted,
  onHoldExpired,
  onAbandon,
}: {
  orderId: string;
  bridge: BridgeClient | null;
  onStarted: (p: PaymentView) => void;
  onHoldExpired: () => void;
  onAbandon: () => void;
}) {
  const trpc = useTRPC();
  const order = useQuery(trpc.order.get.queryOptions({ orderId }));
  const [typed, setTyped] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [isCameraOpen, setCameraOpen] = useState(false);
  const isStarting = useRef(false);
  const cancelOrder = useMutation(trpc.order.cancel.mutationOptions({ onSettled: onAbandon }));
  const start = useMutation(
    trpc.payment.start.mutationOptions({
      onSuccess: onStarted,
      onError: (error) => {
        isStarting.current = false;
        if (trpcErrorCode(error) === "CONFLICT" && /expired|no longer payable/i.test(error.message)) onHoldExpired();
      },
    }),
  );
  const submit = useCallback(
    (raw: string) => {
      const code = raw.replace(/\s+/g, "");
      if (isStarting.current) return;
      if (!isPaymentCode(code)) {
        setNotice(
          "That is not an Alipay payment code (16–24 digits starting 25–30). Ask the visitor to refresh the code and try again.",
        );
        return;
      }
      setNotice(null);
      isStarting.current = true;
      setCameraOpen(false);
      bridge?.disarmScanner().catch(() => {});
      start.mutate({ orderId, paymentCode: code });
    },
    [bridge, orderId, start],
  );
  const isArmed = useArmedScanner({
    bridge,
    isEnabled: bridge !== null,
    armMs: SCAN_ARM_MS,
    rearmKey: orderId,
    onScan: submit,
  });
  const total = order.data ? formatMoney(order.data.totalMinor, order.data.currency) : "";
  return (
    <div className="grid gap-3" data-testid="counter-scan">
      <p className="text-lg">
        Amount{" "}
        <span className="text-2xl font-bold tabular-nums" data-testid="counter-amount">
          {total}
        </span>
      </p>
      <p role="status" data-testid="scanner-state" data-armed={isArmed} className="text-sm">
        {start.isPending
          ? "Sending the payment…"
          : isArmed
            ? "Scanner ready: scan the payment code in the visitor's Alipay app."
            : "No scanner: use the camera or type the code."}
      </p>
      <form
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          submit(typed);
        }}
      >
        <label className="flex flex-col text-sm">
          <span className="font-medium">Payment code</span>
          <input
            className={`${inputClass} w-64 font-mono`}
            inputMode="numeric"
            autoComplete="off"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
        </label>
        <Button type="submit" tone="primary" disabled={start.isPending}>
          Charge
        </Button>
        <Button onClick={() => setCameraOpen((v) => !v)} disabled={start.isPending}>
          {isCameraOpen ? "Hide camera" : "Scan with camera"}
        </Button>
        <Button
          tone="danger"
          disabled={start.isPending || cancelOrder.isPending}
          onClick={() => cancelOrder.mutate({ orderId })}
        >
          Cancel sale
        </Button>
      </form>
      {isCameraOpen ? <CameraScanner onCode={submit} onClose={() => setCameraOpen(false)} /> : null}
      {notice ? (
        <p role="alert" className="text-sm text-amber-900">
          {notice}
        </p>
      ) : null}
      <ErrorText error={start.error} />
    </div>
  );
}

const PHASE_TEXT: Record<PayingPhase, string> = {
  sending: "Sending the payment to Alipay…",
  waiting_pin: "Waiting for the visitor to confirm the payment on their phone (PIN).",
  cancelling: "Cancelling the payment… the visitor will not be charged.",
};

function Paying({
  paymentId,
  isCancelledByCashier,
  onCancelPressed,
  onPaid,
  onFailed,
}: {
  paymentId: string;
  isCancelledByCashier: boolean;
  onCancelPressed: () => void;
  onPaid: () => void;
  onFailed: (reason: FailureReason) => void;
}) {
  const trpc = useTRPC();
  const flags = useRef({ isCancelledByCashier, isDone: false });
  flags.current.isCancelledByCashier = isCancelledByCashier;
  const [phase, setPhase] = useState<PayingPhase>("sending");
  const onUpdate = useCallback(
    (p: PaymentView) => {
      if (flags.current.isDone) return;
      const outcome = paymentOutcome(p, flags.current.isCancelledByCashier);
      if (outcome.kind === "active") setPhase(outcome.phase);
      else {
        flags.current.isDone = true;
        if (outcome.kind === "paid") onPaid();
        else onFailed(outcome.reason);
      }
    },
    [onPaid, onFailed],
  );
  const payment = usePaymentFollow(paymentId, onUpdate);
  const cancel = useMutation(trpc.payment.cancel.mutationOptions({ onSuccess: onUpdate }));
  const now = useNow(250);
  const msLeft = payment ? Math.max(0, payment.createdAt.getTime() + PAYMENT_DEADLINE_MS - now) : PAYMENT_DEADLINE_MS;
  const shownPhase = isCancelledByCashier ? "cancelling" : phase;
  return (
    <div className="grid gap-3" data-testid="counter-paying" data-phase={shownPhase}>
      <p role="status" aria-live="polite" className="text-lg font-semibold">
        {PHASE_TEXT[shownPhase]}
      </p>
      {payment ? <p className="text-lg tabular-nums">{formatMoney(payment.amountMinor, payment.currency)}</p> : null}
      {shownPhase !== "cancelling" ? (
        <>
          <p className="tabular-nums" data-testid="payment-countdown">
            {Math.ceil(msLeft / 1000)} s left
          </p>
          <div>
            <Button
              tone="danger"
              disabled={cancel.isPending}
              onClick={() => {
                onCancelPressed();
                cancel.mutate({ paymentId });
              }}
            >
              Cancel payment
            </Button>
          </div>
        </>
      ) : null}
      <ErrorText error={cancel.error} />
    </div>
  );
}

const STATUS_LABEL: Record<PrintStatus, string> = {
  queued: "queued",
  printing: "printing…",
  printed: "printed",
  failed: "not printed",
};

function Success({
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

function Failure({
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
