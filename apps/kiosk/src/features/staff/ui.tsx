"use client";
/** Small, accessible building blocks shared by the console screens. */
import { useId, useState, type ButtonHTMLAttributes, type ReactNode } from "react";

type Tone = "primary" | "danger" | "neutral";
const TONE: Record<Tone, string> = {
  primary: "bg-blue-800 text-white hover:bg-blue-900 disabled:bg-slate-400",
  danger: "bg-red-700 text-white hover:bg-red-800 disabled:bg-slate-400",
  neutral: "border border-slate-400 bg-white text-slate-900 hover:bg-slate-100 disabled:text-slate-400",
};

export function Button({
  tone = "neutral",
  className = "",
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { tone?: Tone }) {
  return (
    <button
      type="button"
      {...rest}
      className={`inline-flex items-center gap-1 rounded px-2.5 py-1 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-700 disabled:cursor-not-allowed ${TONE[tone]} ${className}`}
    />
  );
}

export function Section({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <section aria-labelledby={id} className="mb-6">
      <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
        <h2 id={id} className="text-lg font-semibold">
          {title}
        </h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function Table({ caption, children }: { caption: string; children: ReactNode }) {
  return (
    // Focusable so a keyboard can scroll a table wider than a phone's screen (axe: scrollable-region-focusable).
    <div
      className="overflow-x-auto rounded border border-slate-300 bg-white"
      tabIndex={0}
      role="region"
      aria-label={`${caption} (scrollable table)`}
    >
      <table className="w-full border-collapse text-left text-sm [&_td]:border-t [&_td]:border-slate-200 [&_td]:px-2 [&_td]:py-1.5 [&_td]:align-top [&_th]:bg-slate-100 [&_th]:px-2 [&_th]:py-1.5 [&_th]:font-semibold">
        <caption className="sr-only">{caption}</caption>
        {children}
      </table>
    </div>
  );
}

const BADGE: Record<string, string> = {
  ok: "bg-green-100 text-green-900 border-green-300",
  warn: "bg-amber-100 text-amber-900 border-amber-300",
  bad: "bg-red-100 text-red-900 border-red-300",
  info: "bg-slate-100 text-slate-800 border-slate-300",
};

export function Badge({ tone, children }: { tone: keyof typeof BADGE; children: ReactNode }) {
  return (
    <span className={`inline-block rounded border px-1.5 py-0.5 text-xs font-medium whitespace-nowrap ${BADGE[tone]}`}>
      {children}
    </span>
  );
}

export function paymentTone(state: string): keyof typeof BADGE {
  if (state === "PAID") return "ok";
  if (state === "NEEDS_ATTENTION" || state === "FAILED") return "bad";
  if (state === "REFUNDED" || state === "PARTIALLY_REFUNDED" || state === "CANCELLED") return "info";
  return "warn";
}

export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" className="mt-1 text-sm text-red-800">
      {message}
    </p>
  );
}

export function Field({
  label,
  children,
  hint,
}: {
  label: string;
  children: (id: string) => ReactNode;
  hint?: string;
}) {
  const id = useId();
  return (
    <div className="flex flex-col gap-0.5 text-sm">
      <label htmlFor={id} className="font-medium">
        {label}
      </label>
      {children(id)}
      {hint ? <span className="text-xs text-slate-600">{hint}</span> : null}
    </div>
  );
}

export const inputClass =
  "rounded border border-slate-400 bg-white px-2 py-1 text-sm focus-visible:outline-2 focus-visible:outline-blue-700";

/**
 * A button that opens a small inline form asking why; `onConfirm(reason)` runs the action.
 * Every service-affecting action in the console goes through this, so each is recorded with a reason.
 */
export function ReasonAction({
  label,
  confirmLabel,
  tone = "neutral",
  disabled,
  disabledReason,
  pending,
  onConfirm,
  children,
  minLength = 3,
}: {
  label: string;
  confirmLabel?: string;
  tone?: Tone;
  disabled?: boolean;
  disabledReason?: string;
  pending?: boolean;
  onConfirm: (reason: string) => void;
  children?: ReactNode;
  minLength?: number;
}) {
  const [isOpen, setIsOpen] = useState(false);
  const [reason, setReason] = useState("");
  const id = useId();
  if (!isOpen) {
    return (
      <Button
        tone={tone}
        disabled={disabled}
        title={disabled ? disabledReason : undefined}
        onClick={() => setIsOpen(true)}
      >
        {label}
      </Button>
    );
  }
  const isValid = reason.trim().length >= minLength;
  return (
    <form
      className="inline-flex flex-wrap items-end gap-2 rounded border border-slate-300 bg-slate-50 p-2"
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        if (!isValid) return;
        onConfirm(reason.trim());
        setIsOpen(false);
        setReason("");
      }}
    >
      {children}
      <div className="flex flex-col text-sm">
        <label htmlFor={id} className="font-medium">
          Reason
        </label>
        <input
          id={id}
          className={inputClass}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          autoFocus
          required
          minLength={minLength}
          maxLength={128}
        />
      </div>
      <Button type="submit" tone={tone} disabled={!isValid || pending}>
        {confirmLabel ?? label}
      </Button>
      <Button onClick={() => setIsOpen(false)}>Cancel</Button>
    </form>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <p className="rounded border border-dashed border-slate-300 bg-white p-3 text-sm text-slate-600">{children}</p>
  );
}

export function Json({ value }: { value: unknown }) {
  return (
    <pre className="max-w-xl overflow-x-auto text-xs whitespace-pre-wrap break-all text-slate-700">
      {JSON.stringify(value, null, 1)}
    </pre>
  );
}
