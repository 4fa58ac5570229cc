"use client";
import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { deviceCredential, useTRPC } from "../../../lib/trpc.tsx";
import { useI18n } from "../i18n-context.tsx";
import { KioskButton } from "../ui/button.tsx";

/** Staff-facing: pairs the kiosk with a one-time code (typed here, or given as `?pair=CODE`). */
export function SetupScreen({ initialCode, onPaired }: { initialCode: string | null; onPaired: () => void }) {
  const trpc = useTRPC();
  const { t } = useI18n();
  const [code, setCode] = useState(initialCode ?? "");
  const pair = useMutation(
    trpc.auth.pairKiosk.mutationOptions({
      onSuccess: (r) => {
        deviceCredential.set(r.credential);
        onPaired();
      },
    }),
  );
  const tried = useRef(false);
  useEffect(() => {
    if (initialCode && !tried.current) {
      tried.current = true;
      pair.mutate({ code: initialCode });
    }
  }, [initialCode, pair]);
  return (
    <main
      className="flex min-h-dvh items-center justify-center bg-(--k-bg) p-10 text-(--k-text)"
      data-screen="setup"
      aria-labelledby="k-title"
    >
      <form
        className="grid w-full max-w-2xl gap-6 rounded-3xl border-2 border-(--k-border-strong) bg-(--k-surface) p-10"
        onSubmit={(e) => {
          e.preventDefault();
          if (code.trim()) pair.mutate({ code: code.trim() });
        }}
      >
        <h1 id="k-title" className="text-4xl font-bold">
          {t("setup.title")}
        </h1>
        <p className="text-2xl">{t("setup.body")}</p>
        <label className="grid gap-3 text-2xl font-semibold" htmlFor="k-pair-code">
          {t("setup.codeLabel")}
        </label>
        <input
          id="k-pair-code"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          className="min-h-20 rounded-2xl border-2 border-(--k-border-strong) bg-(--k-bg) px-6 font-mono text-4xl tracking-widest text-(--k-text) focus-visible:outline-4 focus-visible:outline-(--k-focus)"
        />
        {pair.isError ? (
          <p role="alert" className="text-2xl font-semibold text-(--k-danger)">
            {t("setup.failed")}
          </p>
        ) : null}
        <KioskButton type="submit" disabled={pair.isPending || code.trim().length < 6}>
          {pair.isPending ? t("setup.pairing") : t("setup.submit")}
        </KioskButton>
      </form>
    </main>
  );
}
