"use client";
/** Every kiosk with live status (fleet.live over SSE, polling while it reconnects); service changes; registration and pairing codes. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatAgo, formatDateTime } from "./format.ts";
import { Guard } from "./guard.tsx";
import { useStaffSession } from "./session.tsx";
import type { FleetKiosk } from "./types.ts";
import { Badge, Button, ErrorText, Field, inputClass, ReasonAction, Section, Table } from "./ui.tsx";

const ALERT_LABEL: Record<string, string> = {
  offline: "offline",
  bridge_disconnected: "bridge not connected",
  scanner_disconnected: "scanner disconnected",
  printer_offline: "printer offline",
  paper_out: "paper out",
  paper_near_end: "paper low",
  printer_cover_open: "cover open",
  printer_error: "printer error",
};

function useNow(intervalMs = 5000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

export function FleetView() {
  return (
    <Guard capability="viewFleet">
      <Fleet />
    </Guard>
  );
}

function Fleet() {
  const trpc = useTRPC();
  const session = useStaffSession();
  const now = useNow();
  const live = useSubscription(trpc.fleet.live.subscriptionOptions(undefined));
  const isLive = live.status === "pending" && live.data !== undefined;
  const polled = useQuery({ ...trpc.fleet.list.queryOptions(undefined), refetchInterval: isLive ? false : 5000 });
  const kiosks: FleetKiosk[] | undefined = live.data ?? polled.data;
  return (
    <>
      <Section
        title="Fleet"
        actions={
          <span className="text-xs text-slate-600" role="status" aria-live="polite">
            {isLive ? "● live" : live.status === "connecting" ? "connecting…" : "polling every 5 s"}
          </span>
        }
      >
        {!kiosks ? (
          <p role="status">Loading kiosks…</p>
        ) : (
          <Table caption="Kiosks and their live status">
            <thead>
              <tr>
                <th scope="col">Kiosk</th>
                <th scope="col">Online</th>
                <th scope="col">Service</th>
                <th scope="col">Scanner</th>
                <th scope="col">Printer</th>
                <th scope="col">Versions</th>
                <th scope="col">Last sale</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {kiosks.map((k) => (
                <KioskRow
                  key={k.id}
                  kiosk={k}
                  now={now}
                  canChange={session.can("setInService")}
                  canPair={session.can("registerKiosks")}
                  canRevoke={session.can("revokeCredentials")}
                  canRotate={session.can("rotateBridgeTokens")}
                />
              ))}
            </tbody>
          </Table>
        )}
        <ErrorText error={polled.error} />
      </Section>
      {session.can("registerKiosks") ? <RegisterKiosk /> : null}
    </>
  );
}

function KioskRow({
  kiosk: k,
  now,
  canChange,
  canPair,
  canRevoke,
  canRotate,
}: {
  kiosk: FleetKiosk;
  now: number;
  canChange: boolean;
  canPair: boolean;
  canRevoke: boolean;
  canRotate: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const setInService = useMutation(
    trpc.fleet.setInService.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.fleet.list.queryKey() }),
    }),
  );
  const pairing = useMutation(trpc.fleet.issuePairingCode.mutationOptions());
  const revoke = useMutation(
    trpc.staff.revokeKioskCredential.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.fleet.list.queryKey() }),
    }),
  );
  const d = k.deviceStatus?.devices ?? null;
  const printer = d?.printer;
  return (
    <tr data-testid={`kiosk-row-${k.id}`} aria-label={k.name}>
      <td>
        <div className="font-medium">{k.name}</div>
        <div className="text-xs text-slate-600">
          {k.id}
          {k.location ? ` · ${k.location}` : ""}
        </div>
        {!k.isPaired ? <Badge tone="warn">not paired</Badge> : null}
      </td>
      <td>
        {k.isOnline ? <Badge tone="ok">online</Badge> : <Badge tone="bad">offline</Badge>}
        <div className="text-xs text-slate-600">seen {formatAgo(k.lastHeartbeatAt, now)}</div>
        {k.deviceStatus?.screen ? <div className="text-xs text-slate-600">screen: {k.deviceStatus.screen}</div> : null}
      </td>
      <td data-testid="service-state">
        {k.isInService ? <Badge tone="ok">in service</Badge> : <Badge tone="bad">out of service</Badge>}
        {k.outOfServiceReason ? <div className="text-xs text-slate-700">“{k.outOfServiceReason}”</div> : null}
      </td>
      <td>
        {d ? (
          d.scanner.connected ? (
            <Badge tone="ok">connected</Badge>
          ) : (
            <Badge tone="bad">disconnected</Badge>
          )
        ) : (
          <span className="text-slate-500">—</span>
        )}
      </td>
      <td>
        {printer ? (
          <div className="flex flex-wrap gap-1">
            {printer.connected && printer.online ? <Badge tone="ok">online</Badge> : <Badge tone="bad">offline</Badge>}
            <Badge tone={printer.paper === "out" ? "bad" : printer.paper === "near_end" ? "warn" : "ok"}>
              paper: {printer.paper}
            </Badge>
            {printer.coverOpen ? <Badge tone="bad">cover open</Badge> : null}
          </div>
        ) : (
          <span className="text-slate-500">—</span>
        )}
        {k.alerts.filter((a) => a !== "offline").length > 0 ? (
          <div className="mt-1 text-xs text-red-800">
            {k.alerts
              .filter((a) => a !== "offline")
              .map((a) => ALERT_LABEL[a] ?? a)
              .join(", ")}
          </div>
        ) : null}
      </td>
      <td className="text-xs">
        <div>app {k.appVersion ?? "—"}</div>
        <div>bridge {k.bridgeVersion ?? "—"}</div>
      </td>
      <td className="text-xs">{k.lastSaleAt ? formatDateTime(k.lastSaleAt) : "—"}</td>
      <td>
        <div className="flex flex-col items-start gap-1">
          {canChange ? (
            <ReasonAction
              label={k.isInService ? "Take out of service" : "Return to service"}
              tone={k.isInService ? "danger" : "primary"}
              pending={setInService.isPending}
              onConfirm={(reason) => setInService.mutate({ kioskId: k.id, isInService: !k.isInService, reason })}
            />
          ) : null}
          {canPair ? (
            <Button onClick={() => pairing.mutate({ kioskId: k.id })} disabled={pairing.isPending}>
              Issue pairing code
            </Button>
          ) : null}
          {pairing.data ? (
            <p className="text-xs" role="status">
              Pairing code{" "}
              <strong className="font-mono text-base" data-testid="pairing-code">
                {pairing.data.code}
              </strong>{" "}
              (once, until {formatDateTime(pairing.data.expiresAt)})
            </p>
          ) : null}
          {canRevoke && k.isPaired ? (
            <ReasonAction
              label="Revoke device credential"
              tone="danger"
              pending={revoke.isPending}
              onConfirm={(reason) => revoke.mutate({ kioskId: k.id, reason })}
            />
          ) : null}
          {revoke.data ? (
            <p className="text-xs" role="status">
              Credential revoked: pair the kiosk again with a new code.
            </p>
          ) : null}
          {canRotate ? <BridgeTokenAction device="kiosk" id={k.id} /> : null}
          <ErrorText error={setInService.error ?? pairing.error ?? revoke.error} />
        </div>
      </td>
    </tr>
  );
}

/**
 * Admin: issue a new device bridge token (rotation). Shown once, for the bridge's config on
 * that PC (BRIDGE_PAIRING_TOKEN); the device's page fetches the new token by itself.
 */
export function BridgeTokenAction({ device, id }: { device: "kiosk" | "counter"; id: string }) {
  const trpc = useTRPC();
  const rotate = useMutation(trpc.fleet.rotateBridgeToken.mutationOptions());
  return (
    <>
      <Button onClick={() => rotate.mutate({ device, id })} disabled={rotate.isPending}>
        New bridge token
      </Button>
      {rotate.data ? (
        <p className="max-w-xs break-all text-xs" role="status">
          Put this in BRIDGE_PAIRING_TOKEN of the bridge on that PC and restart it (shown once):{" "}
          <strong className="font-mono" data-testid="bridge-token">
            {rotate.data.token}
          </strong>{" "}
          · fingerprint {rotate.data.fingerprint}
        </p>
      ) : null}
      <ErrorText error={rotate.error} />
    </>
  );
}

function RegisterKiosk() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const attractions = useQuery(trpc.console.attractions.queryOptions());
  const [attractionId, setAttractionId] = useState("");
  const [name, setName] = useState("");
  const [location, setLocation] = useState("");
  const pairing = useMutation(trpc.fleet.issuePairingCode.mutationOptions());
  const register = useMutation(
    trpc.fleet.register.mutationOptions({
      onSuccess: (r) => {
        void queryClient.invalidateQueries({ queryKey: trpc.fleet.list.queryKey() });
        pairing.mutate({ kioskId: r.id });
        setName("");
        setLocation("");
      },
    }),
  );
  const chosen = attractionId || attractions.data?.[0]?.id || "";
  return (
    <Section title="Register a kiosk">
      <form
        className="flex flex-wrap items-end gap-3 rounded border border-slate-300 bg-white p-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (!chosen || !name.trim()) return;
          register.mutate({
            attractionId: chosen,
            name: name.trim(),
            ...(location.trim() ? { location: location.trim() } : {}),
          });
        }}
      >
        <Field label="Attraction">
          {(id) => (
            <select id={id} className={inputClass} value={chosen} onChange={(e) => setAttractionId(e.target.value)}>
              {attractions.data?.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Kiosk name">
          {(id) => (
            <input
              id={id}
              className={inputClass}
              value={name}
              onChange={(e) => setName(e.target.value)}
              required
              maxLength={100}
            />
          )}
        </Field>
        <Field label="Location">
          {(id) => (
            <input
              id={id}
              className={inputClass}
              value={location}
              onChange={(e) => setLocation(e.target.value)}
              maxLength={200}
            />
          )}
        </Field>
        <Button type="submit" tone="primary" disabled={register.isPending}>
          Register and issue pairing code
        </Button>
      </form>
      {pairing.data && register.data ? (
        <p role="status" className="mt-2 rounded bg-green-50 p-2 text-sm">
          Kiosk {register.data.id} registered. Enter pairing code{" "}
          <strong className="font-mono text-lg" data-testid="new-pairing-code">
            {pairing.data.code}
          </strong>{" "}
          on the kiosk before {formatDateTime(pairing.data.expiresAt)}. It is shown only once.
        </p>
      ) : null}
      <ErrorText error={register.error ?? pairing.error} />
    </Section>
  );
}
