"use client";
/**
 * Gate redemption. A keyboard-wedge scanner types into the focused field and ends with
 * Enter; a camera reads QR codes through the browser's BarcodeDetector where it exists.
 * The answer is big and unambiguous: VALID, ALREADY USED (with when), or INVALID.
 */
import { useMutation } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { formatDateTime } from "./format.ts";
import { Guard } from "./guard.tsx";
import type { RouterOutputs } from "./types.ts";
import { Button, ErrorText, inputClass, Section } from "./ui.tsx";

type RedeemResult = RouterOutputs["console"]["redeem"];

interface DetectedBarcode {
  rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<DetectedBarcode[]>;
}
type BarcodeDetectorCtor = new (opts: { formats: string[] }) => BarcodeDetectorLike;

function barcodeDetector(): BarcodeDetectorCtor | null {
  const ctor = (globalThis as { BarcodeDetector?: BarcodeDetectorCtor }).BarcodeDetector;
  return typeof ctor === "function" ? ctor : null;
}

export function GateView() {
  return (
    <Guard capability="redeemTickets">
      <Gate />
    </Guard>
  );
}

function Gate() {
  const trpc = useTRPC();
  const [code, setCode] = useState("");
  const [gate, setGate] = useState("main");
  const [last, setLast] = useState<{ code: string; result: RedeemResult; at: Date } | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const redeem = useMutation(
    trpc.console.redeem.mutationOptions({
      onSuccess: (result, v) => setLast({ code: v.code, result, at: new Date() }),
    }),
  );
  const submit = useCallback(
    (value: string) => {
      const c = value.trim();
      if (c.length < 3 || redeem.isPending) return;
      redeem.mutate({ code: c, ...(gate.trim() ? { gate: gate.trim() } : {}) });
      setCode("");
      inputRef.current?.focus();
    },
    [gate, redeem],
  );
  return (
    <Section title="Gate: redeem tickets">
      <div className="grid gap-4 md:grid-cols-2">
        <div className="flex flex-col gap-3">
          <form
            className="flex flex-col gap-2 rounded border border-slate-300 bg-white p-3"
            onSubmit={(e) => {
              e.preventDefault();
              submit(code);
            }}
          >
            <label htmlFor="gate-code" className="font-medium">
              Scan or type a ticket code
            </label>
            <input
              id="gate-code"
              ref={inputRef}
              autoFocus
              autoComplete="off"
              spellCheck={false}
              className={`${inputClass} font-mono`}
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
            <div className="flex items-end gap-2">
              <label className="flex flex-col text-sm">
                <span className="font-medium">Gate</span>
                <input className={inputClass} value={gate} onChange={(e) => setGate(e.target.value)} maxLength={64} />
              </label>
              <Button type="submit" tone="primary" disabled={redeem.isPending}>
                Redeem
              </Button>
            </div>
          </form>
          <Camera onCode={submit} />
        </div>
        <Verdict last={last} />
      </div>
      <ErrorText error={redeem.error} />
    </Section>
  );
}

function Verdict({ last }: { last: { code: string; result: RedeemResult; at: Date } | null }) {
  if (!last) {
    return (
      <div
        role="status"
        aria-live="assertive"
        className="flex min-h-48 items-center justify-center rounded border border-dashed border-slate-400 text-slate-600"
      >
        Waiting for a scan
      </div>
    );
  }
  const r = last.result;
  const tone = r.ok ? "bg-green-700" : r.reason === "already_used" ? "bg-amber-500 text-black" : "bg-red-700";
  const title = r.ok ? "VALID" : r.reason === "already_used" ? "ALREADY USED" : "INVALID";
  const ticket = "ticket" in r ? r.ticket : undefined;
  return (
    <div
      role="status"
      aria-live="assertive"
      data-testid="gate-verdict"
      className={`flex min-h-48 flex-col justify-center rounded p-4 text-white ${tone}`}
    >
      <p className="text-4xl font-bold tracking-wide">{title}</p>
      <p className="mt-1 text-lg">
        {r.ok
          ? `Redeemed at ${formatDateTime(r.redeemedAt)}`
          : r.reason === "already_used"
            ? `Used at ${formatDateTime(r.redeemedAt)}`
            : r.message}
      </p>
      {ticket ? (
        <p className="mt-1 text-sm">
          {ticket.ticketTypeName} · <span className="font-mono">{ticket.id}</span>
        </p>
      ) : null}
      <p className="mt-2 text-xs opacity-80">scanned {formatDateTime(last.at)}</p>
    </div>
  );
}

function Camera({ onCode }: { onCode: (code: string) => void }) {
  const [isOn, setIsOn] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const Detector = typeof window === "undefined" ? null : barcodeDetector();
  const lastRef = useRef<{ code: string; at: number } | null>(null);

  useEffect(() => {
    if (!isOn || !Detector) return;
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setInterval> | null = null;
    let isStopped = false;
    const detector = new Detector({ formats: ["qr_code"] });
    (async () => {
      try {
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
        if (isStopped || !videoRef.current) return;
        videoRef.current.srcObject = stream;
        await videoRef.current.play();
        timer = setInterval(async () => {
          const v = videoRef.current;
          if (!v || v.readyState < 2) return;
          try {
            const codes = await detector.detect(v);
            const value = codes[0]?.rawValue;
            const now = Date.now();
            // The same code in front of the camera is one scan, not one per frame.
            if (value && !(lastRef.current && lastRef.current.code === value && now - lastRef.current.at < 3000)) {
              lastRef.current = { code: value, at: now };
              onCode(value);
            }
          } catch {
            // a frame that cannot be read is skipped
          }
        }, 300);
      } catch (e) {
        setError(e instanceof Error ? e.message : "The camera could not be opened");
        setIsOn(false);
      }
    })();
    return () => {
      isStopped = true;
      if (timer) clearInterval(timer);
      stream?.getTracks().forEach((t) => t.stop());
    };
  }, [isOn, Detector, onCode]);

  if (!Detector) {
    return (
      <p className="text-sm text-slate-600">
        This browser cannot read codes from the camera; use a scanner or type the code.
      </p>
    );
  }
  return (
    <div className="rounded border border-slate-300 bg-white p-3">
      <Button onClick={() => setIsOn((v) => !v)} aria-pressed={isOn}>
        {isOn ? "Stop camera" : "Scan with camera"}
      </Button>
      {isOn ? (
        <video ref={videoRef} className="mt-2 w-full max-w-sm rounded" muted playsInline aria-label="Camera preview" />
      ) : null}
      {error ? (
        <p role="alert" className="text-sm text-red-800">
          {error}
        </p>
      ) : null}
    </div>
  );
}
