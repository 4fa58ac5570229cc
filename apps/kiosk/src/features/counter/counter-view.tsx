"use client";
/**
 * The counter-sale screen of the staff console (a ticket window, or a phone or tablet in a
 * queue): the cashier's shift, the sale, and the till. The device's bridge (scanner and
 * printer) is used when one answers on this device; without one, the camera or a typed
 * code takes the payment and tickets are shown as QR codes.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTRPC, useTRPCClient } from "../../lib/trpc.tsx";
import { useBridge, useDeviceBridgeToken, useRefreshOnRefusal } from "../kiosk/hooks/use-bridge.ts";
import { readConfig } from "../kiosk/session-store.ts";
import { Guard } from "../staff/guard.tsx";
import { useStaffSession } from "../staff/session.tsx";
import { formatDateTime } from "../staff/format.ts";
import { Section } from "../staff/ui.tsx";
import { SalePanel } from "./sale-panel.tsx";
import { CloseShift, OpenShift, ShiftHistory, ShiftReport, ShiftTotalsList, type ShiftView } from "./till-panel.tsx";

export function CounterView({ bridgeUrl }: { bridgeUrl: string }) {
  return (
    <div className="grid gap-4">
      <h1 className="text-xl font-semibold">Counter sale and till</h1>
      <Guard capability="sellAtCounter">
        <Counter bridgeUrl={bridgeUrl} />
      </Guard>
    </div>
  );
}

function Counter({ bridgeUrl }: { bridgeUrl: string }) {
  const trpc = useTRPC();
  const trpcClient = useTRPCClient();
  const queryClient = useQueryClient();
  const session = useStaffSession();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    // Same settings as the kiosk page: the server's BRIDGE_URL (or a loopback ?bridge= for this load only).
    setUrl(readConfig(window.location.search, { url: bridgeUrl }).bridgeUrl);
  }, [bridgeUrl]);
  const myShift = useQuery({ ...trpc.counter.myShift.queryOptions(), refetchInterval: 5_000 });
  // The counter's bridge token comes from the server once this cashier has a shift open there.
  const openCounterId = myShift.data?.state === "open" ? myShift.data.counter.id : null;
  const { token, refresh } = useDeviceBridgeToken(openCounterId ? () => trpcClient.counter.bridgeToken.mutate() : null);
  const { client: bridge, snapshot } = useBridge(url, token);
  useRefreshOnRefusal(snapshot, refresh);
  const [closed, setClosed] = useState<ShiftView | null>(null);
  const shift = myShift.data;
  const isEveryone = session.can("viewAllShifts");

  return (
    <div className="grid gap-4">
      {closed ? (
        <Section title="Shift closed">
          <ShiftReport shift={closed} />
        </Section>
      ) : null}
      {myShift.isPending ? <p role="status">Loading your shift…</p> : null}
      {!myShift.isPending && !shift ? (
        <Section title="Open a shift">
          <OpenShift />
        </Section>
      ) : null}
      {shift ? (
        <>
          <Section title={`Selling at ${shift.counter.name}`}>
            <p className="mb-2 text-sm text-slate-600" data-testid="open-shift" data-shift-id={shift.id}>
              Shift opened {formatDateTime(shift.openedAt)} by {shift.staffName}
            </p>
            {shift.state === "open" ? (
              <SalePanel
                attractionId={shift.counter.attractionId}
                bridge={bridge}
                bridgeSnapshot={snapshot}
                onSettled={() => void queryClient.invalidateQueries({ queryKey: trpc.counter.pathKey() })}
              />
            ) : (
              <p role="status">The shift is closing…</p>
            )}
          </Section>
          <Section title="Till">
            <ShiftTotalsList shift={shift} />
            <div className="mt-2">
              <CloseShift
                shift={shift}
                onClosed={(s) => {
                  setClosed(s);
                  void myShift.refetch();
                }}
              />
            </div>
          </Section>
        </>
      ) : null}
      <Section title={isEveryone ? "Shifts" : "Your shifts"}>
        <ShiftHistory isEveryone={isEveryone} />
      </Section>
    </div>
  );
}
