-- Refund: the tickets a partial refund voids (JSON array of ticket ids), written when the
-- refund is requested; refunds requested before this column take them from their
-- refund_requested event (where they were kept until now).
ALTER TABLE "Refund" ADD COLUMN "ticketIds" TEXT;

UPDATE "Refund" SET "ticketIds" = (
  SELECT json_extract(e."summary", '$.refund.ticketIds') FROM "PaymentEvent" e
  WHERE e."paymentId" = "Refund"."paymentId" AND e."type" = 'refund_requested' AND json_valid(e."summary")
    AND json_extract(e."summary", '$.refund.partnerRefundId') = "Refund"."partnerRefundId"
  ORDER BY e."seq" DESC LIMIT 1);

-- Payment: the machine state JSON is the only state. Rows written without one (machineState
-- '{}') get the state the server used to rebuild from their columns when reading them. A refund
-- in flight cannot be rebuilt: such a row goes to NEEDS_ATTENTION (a person looks), as it did.
UPDATE "Payment" SET
  "machineState" = json_patch(json_patch(json_patch(
    json_object(
      'partnerTransId', "partnerTransId", 'amountMinor', "amountMinor", 'currency', "currency",
      'createdAt', CASE WHEN typeof("createdAt") = 'integer' THEN "createdAt" ELSE CAST(ROUND((julianday("createdAt") - 2440587.5) * 86400000) AS INTEGER) END,
      'deadlineAt', CASE WHEN typeof("deadlineAt") = 'integer' THEN "deadlineAt" ELSE CAST(ROUND((julianday("deadlineAt") - 2440587.5) * 86400000) AS INTEGER) END,
      'payAttempts', MAX(1, "attempt"),
      'lastPaySentAt', CASE WHEN typeof("createdAt") = 'integer' THEN "createdAt" ELSE CAST(ROUND((julianday("createdAt") - 2440587.5) * 86400000) AS INTEGER) END,
      'queryCount', "queryCount", 'cancelAttempts', "cancelAttempt",
      'nextActionAt', CASE WHEN "nextActionAt" IS NULL OR "state" IN ('REFUNDING', 'NEEDS_ATTENTION') THEN NULL
        ELSE CASE WHEN typeof("nextActionAt") = 'integer' THEN "nextActionAt" ELSE CAST(ROUND((julianday("nextActionAt") - 2440587.5) * 86400000) AS INTEGER) END END,
      'refundedMinor', 0,
      'hasIssuedTickets', json(CASE WHEN "paidAt" IS NOT NULL OR "state" IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')
        THEN 'true' ELSE 'false' END)),
    CASE "state"
      WHEN 'SENDING' THEN json_object('state', 'SENDING', 'isCancelRequested', json('false'))
      WHEN 'POLLING' THEN json_object('state', 'POLLING', 'isPayRetryAllowed', json('false'), 'isPayInFlight', json('false'))
      WHEN 'CANCELLING' THEN json_object('state', 'CANCELLING', 'cancelReason', 'system')
      WHEN 'FAILED' THEN json_object('state', 'FAILED', 'failureReason', COALESCE("failureReason", 'unknown'))
      WHEN 'CANCELLED' THEN json_object('state', 'CANCELLED', 'cancelReason', 'system', 'cancelOutcome', 'cancelled')
      WHEN 'REFUNDING' THEN json_object('state', 'NEEDS_ATTENTION', 'previousState', 'REFUNDING',
        'attentionReason', COALESCE("attentionReason", 'REFUNDING without machine state'))
      WHEN 'NEEDS_ATTENTION' THEN json_object('state', 'NEEDS_ATTENTION', 'previousState', 'NEEDS_ATTENTION',
        'attentionReason', COALESCE("attentionReason", 'NEEDS_ATTENTION without machine state'))
      ELSE json_object('state', "state") END),
    CASE WHEN "alipayTransId" IS NULL THEN '{}' ELSE json_object('alipayTransId', "alipayTransId") END),
    CASE WHEN "paidAt" IS NULL THEN '{}' ELSE json_object('paidAt', CASE WHEN typeof("paidAt") = 'integer' THEN "paidAt" ELSE CAST(ROUND((julianday("paidAt") - 2440587.5) * 86400000) AS INTEGER) END) END),
  "attentionReason" = CASE WHEN "state" IN ('REFUNDING', 'NEEDS_ATTENTION')
    THEN COALESCE("attentionReason", "state" || ' without machine state') ELSE "attentionReason" END,
  "nextActionAt" = CASE WHEN "state" IN ('REFUNDING', 'NEEDS_ATTENTION') THEN NULL ELSE "nextActionAt" END,
  "state" = CASE WHEN "state" = 'REFUNDING' THEN 'NEEDS_ATTENTION' ELSE "state" END
WHERE "machineState" NOT LIKE '%"state":%';
