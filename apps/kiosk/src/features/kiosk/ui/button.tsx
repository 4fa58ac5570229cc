"use client";
import type { ButtonHTMLAttributes, ReactNode, Ref } from "react";

type Variant = "primary" | "secondary" | "ghost" | "danger";

const VARIANTS: Record<Variant, string> = {
  primary: "bg-(--k-primary) text-(--k-on-primary) border-(--k-primary) shadow-md active:brightness-90",
  secondary: "bg-(--k-surface) text-(--k-text) border-(--k-border-strong) active:bg-(--k-surface-2)",
  ghost: "bg-transparent text-(--k-text) border-transparent underline underline-offset-4 active:bg-(--k-surface-2)",
  danger: "bg-(--k-surface) text-(--k-danger) border-(--k-danger) active:bg-(--k-surface-2)",
};

export interface KioskButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: Variant;
  size?: "md" | "lg" | "xl";
  children: ReactNode;
  ref?: Ref<HTMLButtonElement> | undefined;
}

/** A touch button: never smaller than 64 × 64 px, with a strong focus ring. */
export function KioskButton({
  variant = "primary",
  size = "lg",
  className = "",
  children,
  type = "button",
  ...rest
}: KioskButtonProps) {
  const sizing =
    size === "xl"
      ? "min-h-24 px-10 text-[1.75rem]"
      : size === "lg"
        ? "min-h-20 px-8 text-2xl"
        : "min-h-16 px-6 text-xl";
  return (
    <button
      type={type}
      className={`inline-flex min-w-16 select-none items-center justify-center gap-3 rounded-2xl border-2 font-semibold transition focus-visible:outline-4 focus-visible:outline-offset-4 focus-visible:outline-(--k-focus) disabled:cursor-not-allowed disabled:opacity-60 ${sizing} ${VARIANTS[variant]} ${className}`}
      {...rest}
    >
      {children}
    </button>
  );
}
