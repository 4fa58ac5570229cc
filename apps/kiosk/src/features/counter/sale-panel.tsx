"use client";
/**
 * One counter sale: choose tickets → take the visitor's payment code (bridge scanner,
 * camera or typed) → the kiosk's paying states (PIN wait, countdown, cancel) → tickets
 * printed on the counter's printer and/or shown as QR codes, and the receipt likewise.
 * Everything goes through the kiosk's own procedures and hooks; the server records the
 * sale against the cashier and their open shift.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { BridgeClient, BridgeSnapshot } from "../../lib/bridge-client.ts";
import { LOCALE_NATIVE_NAMES, LOCALES, type Locale } from "../../lib/i18n/locales.ts";
import { useTRPC } from "../../lib/trpc.tsx";
import type { FailureReason } from "../kiosk/flow/payment-outcome.ts";
import { ErrorText, inputClass } from "../staff/ui.tsx";
import { ChooseTickets, EMPTY_CART, type Cart } from "./sale-choose.tsx";
import { Paying, TakeCode } from "./sale-paying.tsx";
import { Failure, Success, type Delivery } from "./sale-result.tsx";

export type { Delivery } from "./sale-result.tsx";

type Stage =
  | { name: "choose" }
  | { name: "scan"; orderId: string }
  | { name: "paying"; orderId: string; paymentId: string; isCancelledByCashier: boolean }
  | { name: "success"; orderId: string; paymentId: string }
  | { name: "failure"; orderId: string; reason: FailureReason; paymentId: string | null };

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
