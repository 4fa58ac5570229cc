import type { PrintMessage, ReceiptDocument, TicketDocument } from "@kiosk/bridge-protocol";

export const ASCII_TICKET: TicketDocument = {
  attractionName: "Palace Museum",
  ticketTypeLabel: "Adult",
  validityText: "Valid on 2026-12-01",
  qrPayload: "T1.eyJvIjoiTzEyMyJ9.c2ln",
  priceText: "CNY 60.00",
  orderNo: "O-20261127-0001",
  alipayTradeNo: "2026112722001400001",
  issuedAtText: "2026-11-27 10:00",
  footerText: "Thank you",
  labels: { price: "Price", orderNo: "Order", alipayTradeNo: "Alipay", issuedAt: "Issued" },
};

export const CJK_TICKET: TicketDocument = {
  ...ASCII_TICKET,
  attractionName: "故宫博物院",
  ticketTypeLabel: "大人 / 성인",
  validityText: "2026年12月1日 当日有効",
  footerText: "中文 日本語 한국어",
  labels: { price: "票价", orderNo: "注文番号", alipayTradeNo: "支付宝交易号", issuedAt: "발행 시간" },
};

export const RECEIPT: ReceiptDocument = {
  title: "Receipt",
  attractionName: "Palace Museum",
  lines: [
    { label: "Adult", quantity: 2, amountText: "120.00" },
    { label: "Child", quantity: 1, amountText: "30.00" },
  ],
  totalLabel: "Total",
  totalText: "CNY 150.00",
  orderNo: "O-1",
  alipayTradeNo: "2026112722001400001",
  issuedAtText: "2026-11-27 10:00",
  labels: { orderNo: "Order", alipayTradeNo: "Alipay", issuedAt: "Issued" },
};

export function ticketJob(id: string, document: TicketDocument = ASCII_TICKET): PrintMessage {
  return { type: "print", id, kind: "ticket", locale: "en", document };
}
