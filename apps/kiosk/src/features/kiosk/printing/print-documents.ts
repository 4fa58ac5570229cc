/**
 * Builds the bridge's print jobs (already localised: the bridge only lays out) from the
 * server's tickets and order. Pure; job ids are derived from ticket and order ids, so a
 * job re-sent after a reload or a reconnect is the same job and never prints twice.
 */
import type { PrintReceiptMessage, PrintTicketMessage } from "@kiosk/bridge-protocol";
import { formatDate, formatDateTime, formatMoney, formatTimeRange } from "../../../lib/i18n/format.ts";
import { INTL_TAGS, pickI18n, type Locale } from "../../../lib/i18n/locales.ts";
import { translate } from "../../../lib/i18n/translate.ts";

export interface PrintableTicket {
  id: string;
  ticketTypeId: string;
  ticketTypeName: string;
  validFrom: Date;
  validUntil: Date;
  code: string;
}

export interface PrintableTicketType {
  id: string;
  name: string;
  nameI18n: Record<string, string>;
  priceMinor: number;
  validityKind: string;
}

export interface PrintContext {
  locale: Locale;
  attraction: { name: string; nameI18n: Record<string, string>; timezone: string };
  ticketTypes: readonly PrintableTicketType[];
  order: {
    id: string;
    currency: string;
    totalMinor: number;
    lines: readonly {
      ticketTypeId: string;
      ticketTypeName: string;
      quantity: number;
      lineTotalMinor: number;
      unitPriceMinor: number;
    }[];
  };
  alipayTradeNo: string | null;
  /** The wallet the buyer paid with (Antom), printed on the receipt when known. */
  walletName?: string | null;
  issuedAt: Date;
}

export const ticketJobId = (ticketId: string) => `ticket-${ticketId}`;
export const receiptJobId = (orderId: string) => `receipt-${orderId}`;

export function ticketTypeLabel(
  ctx: Pick<PrintContext, "locale" | "ticketTypes">,
  ticketTypeId: string,
  fallback: string,
): string {
  const type = ctx.ticketTypes.find((t) => t.id === ticketTypeId);
  return pickI18n(type?.nameI18n, ctx.locale, type?.name ?? fallback);
}

export function validityText(
  ctx: Pick<PrintContext, "locale" | "attraction">,
  ticket: Pick<PrintableTicket, "validFrom" | "validUntil">,
  isAllDay: boolean,
): string {
  const { locale } = ctx;
  const tz = ctx.attraction.timezone;
  const date = formatDate(ticket.validFrom, locale, tz);
  return isAllDay
    ? `${date} · ${translate(locale, "tickets.validAllDay")}`
    : `${date} · ${formatTimeRange(ticket.validFrom, ticket.validUntil, locale, tz)}`;
}

export function ticketJob(ctx: PrintContext, ticket: PrintableTicket): PrintTicketMessage {
  const { locale } = ctx;
  const type = ctx.ticketTypes.find((t) => t.id === ticket.ticketTypeId);
  const isAllDay = type?.validityKind === "date";
  return {
    type: "print",
    id: ticketJobId(ticket.id),
    kind: "ticket",
    locale: INTL_TAGS[locale],
    document: {
      attractionName: pickI18n(ctx.attraction.nameI18n, locale, ctx.attraction.name).slice(0, 200),
      ticketTypeLabel: ticketTypeLabel(ctx, ticket.ticketTypeId, ticket.ticketTypeName).slice(0, 200),
      validityText: validityText(ctx, ticket, isAllDay).slice(0, 300),
      qrPayload: ticket.code,
      priceText: type ? formatMoney(type.priceMinor, ctx.order.currency, locale) : "",
      orderNo: ctx.order.id,
      alipayTradeNo: ctx.alipayTradeNo ?? "",
      issuedAtText: formatDateTime(ctx.issuedAt, locale, ctx.attraction.timezone),
      footerText: translate(locale, "print.ticketFooter"),
      labels: {
        price: translate(locale, "print.labelPrice"),
        orderNo: translate(locale, "print.labelOrderNo"),
        alipayTradeNo: translate(locale, "print.labelTradeNo"),
        issuedAt: translate(locale, "print.labelIssuedAt"),
      },
    },
  };
}

export function receiptJob(ctx: PrintContext): PrintReceiptMessage {
  const { locale } = ctx;
  return {
    type: "print",
    id: receiptJobId(ctx.order.id),
    kind: "receipt",
    locale: INTL_TAGS[locale],
    document: {
      title: translate(locale, "print.receiptTitle"),
      attractionName: pickI18n(ctx.attraction.nameI18n, locale, ctx.attraction.name).slice(0, 200),
      lines: ctx.order.lines.map((l) => ({
        label: ticketTypeLabel(ctx, l.ticketTypeId, l.ticketTypeName).slice(0, 200),
        quantity: l.quantity,
        amountText: formatMoney(l.lineTotalMinor, ctx.order.currency, locale),
      })),
      totalLabel: translate(locale, "common.total"),
      totalText: formatMoney(ctx.order.totalMinor, ctx.order.currency, locale),
      orderNo: ctx.order.id,
      alipayTradeNo: ctx.alipayTradeNo ?? "",
      issuedAtText: formatDateTime(ctx.issuedAt, locale, ctx.attraction.timezone),
      ...(ctx.walletName ? { walletName: ctx.walletName.slice(0, 100) } : {}),
      footerText: translate(locale, "print.receiptFooter"),
      labels: {
        orderNo: translate(locale, "print.labelOrderNo"),
        alipayTradeNo: translate(locale, "print.labelTradeNo"),
        issuedAt: translate(locale, "print.labelIssuedAt"),
        ...(ctx.walletName ? { wallet: translate(locale, "print.labelWallet") } : {}),
      },
    },
  };
}
