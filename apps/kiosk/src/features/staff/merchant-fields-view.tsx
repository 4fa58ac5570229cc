"use client";
/**
 * Each attraction's Alipay merchant fields, for admins: the secondary merchant id and store id
 * its pays carry (MAPI `extend_info`; OpenAPI sends the store id). Antom documents both as
 * mandatory; the key check above warns for an attraction without them. Changes are audited
 * and apply to the next payment.
 */
import { ANTOM_WALLETS } from "@kiosk/alipay-core/wallets";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../lib/trpc.tsx";
import { Button, ErrorText, Field, inputClass, Section } from "./ui.tsx";

type Row = {
  id: string;
  name: string;
  secondaryMerchantId: string | null;
  storeId: string | null;
  acceptedWallets: readonly string[] | null;
};

export function MerchantFields() {
  const trpc = useTRPC();
  const list = useQuery(trpc.alipayKeys.merchantFields.queryOptions());
  return (
    <Section title="Alipay merchant fields per attraction">
      <ErrorText error={list.error} />
      <p className="text-sm text-slate-700">
        Sent with every pay of the attraction: leave a field empty to send none (the key check then warns).
      </p>
      <div className="mt-3 flex flex-col gap-4">
        {list.data?.map((row) => (
          <div key={row.id} className="flex flex-col gap-2">
            <AttractionFields row={row} />
            <AcceptedWallets row={row} />
          </div>
        ))}
      </div>
    </Section>
  );
}

function AttractionFields({ row }: { row: Row }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [secondaryMerchantId, setSecondaryMerchantId] = useState(row.secondaryMerchantId ?? "");
  const [storeId, setStoreId] = useState(row.storeId ?? "");
  const save = useMutation(
    trpc.alipayKeys.setMerchantFields.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.alipayKeys.merchantFields.queryKey() }),
    }),
  );
  const hint = "1–32 letters, digits, '_' or '-'";
  return (
    <form
      className="flex flex-wrap items-end gap-3"
      aria-label={`Merchant fields of ${row.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({
          attractionId: row.id,
          secondaryMerchantId: secondaryMerchantId.trim() || null,
          storeId: storeId.trim() || null,
        });
      }}
    >
      <span className="w-48 font-medium">{row.name}</span>
      <Field label="Secondary merchant id" hint={hint}>
        {(id) => (
          <input
            id={id}
            className={inputClass}
            value={secondaryMerchantId}
            maxLength={32}
            onChange={(e) => setSecondaryMerchantId(e.target.value)}
          />
        )}
      </Field>
      <Field label="Store id" hint={hint}>
        {(id) => (
          <input
            id={id}
            className={inputClass}
            value={storeId}
            maxLength={32}
            onChange={(e) => setStoreId(e.target.value)}
          />
        )}
      </Field>
      <Button type="submit" disabled={save.isPending}>
        Save
      </Button>
      {save.isSuccess ? (
        <span role="status" className="text-sm">
          Saved
        </span>
      ) : null}
      <ErrorText error={save.error} />
    </form>
  );
}

/** The wallets the attraction's scan screen lists; none ticked: the protocol's default (Alipay, or ALIPAY_ANTOM_WALLETS). */
function AcceptedWallets({ row }: { row: Row }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [picked, setPicked] = useState<readonly string[]>(row.acceptedWallets ?? []);
  const save = useMutation(
    trpc.alipayKeys.setAcceptedWallets.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.alipayKeys.merchantFields.queryKey() }),
    }),
  );
  return (
    <form
      className="flex flex-wrap items-center gap-3 text-sm"
      aria-label={`Accepted wallets of ${row.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ attractionId: row.id, wallets: picked.length > 0 ? [...picked] : null });
      }}
    >
      <span className="w-48 text-slate-700">Wallets on the scan screen</span>
      {ANTOM_WALLETS.map((w) => (
        <label key={w.code} className="flex items-center gap-1">
          <input
            type="checkbox"
            checked={picked.includes(w.code)}
            onChange={(e) =>
              setPicked(e.target.checked ? [...picked, w.code] : picked.filter((code) => code !== w.code))
            }
          />
          {w.displayName}
        </label>
      ))}
      <span className="text-slate-500">(none ticked: the protocol&apos;s default)</span>
      <Button type="submit" disabled={save.isPending}>
        Save wallets
      </Button>
      {save.isSuccess ? <span role="status">Saved</span> : null}
      <ErrorText error={save.error} />
    </form>
  );
}
