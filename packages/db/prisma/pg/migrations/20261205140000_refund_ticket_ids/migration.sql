-- Refund: the tickets a partial refund voids (JSON array of ticket ids), written when the
-- refund is requested; refunds requested before this column take them from their
-- refund_requested event (where they were kept until now).
ALTER TABLE "Refund" ADD COLUMN "ticketIds" TEXT;

UPDATE "Refund" r SET "ticketIds" = (
  SELECT (e."summary"::jsonb -> 'refund' -> 'ticketIds')::text FROM "PaymentEvent" e
  WHERE e."paymentId" = r."paymentId" AND e."type" = 'refund_requested'
    AND e."summary"::jsonb -> 'refund' ->> 'partnerRefundId' = r."partnerRefundId"
  ORDER BY e."seq" DESC LIMIT 1);

-- Payment: the machine state JSON is the only state. Rows written without one (machineState
-- '{}') get the state the server used to rebuild from their columns when reading them. A refund
-- in flight cannot be rebuilt: such a row goes to NEEDS_ATTENTION (a person looks), as it did.
UPDATE "Payment" SET
  "machineState" = (
    jsonb_build_object(
      'partnerTransId', "partnerTransId", 'amountMinor', "amountMinor", 'currency', "currency",
      'createdAt', (EXTRACT(EPOCH FROM "createdAt") * 1000)::bigint,
      'deadlineAt', (EXTRACT(EPOCH FROM "deadlineAt") * 1000)::bigint,
      'payAttempts', GREATEST(1, "attempt"),
      'lastPaySentAt', (EXTRACT(EPOCH FROM "createdAt") * 1000)::bigint,
      'queryCount', "queryCount", 'cancelAttempts', "cancelAttempt",
      'nextActionAt', CASE WHEN "nextActionAt" IS NULL OR "state" IN ('REFUNDING', 'NEEDS_ATTENTION') THEN NULL
        ELSE (EXTRACT(EPOCH FROM "nextActionAt") * 1000)::bigint END,
      'refundedMinor', 0,
      'hasIssuedTickets', ("paidAt" IS NOT NULL OR "state" IN ('PAID', 'PARTIALLY_REFUNDED', 'REFUNDED')))
    || CASE "state"
      WHEN 'SENDING' THEN jsonb_build_object('state', 'SENDING', 'isCancelRequested', false)
      WHEN 'POLLING' THEN jsonb_build_object('state', 'POLLING', 'isPayRetryAllowed', false, 'isPayInFlight', false)
      WHEN 'CANCELLING' THEN jsonb_build_object('state', 'CANCELLING', 'cancelReason', 'system')
      WHEN 'FAILED' THEN jsonb_build_object('state', 'FAILED', 'failureReason', COALESCE("failureReason", 'unknown'))
      WHEN 'CANCELLED' THEN jsonb_build_object('state', 'CANCELLED', 'cancelReason', 'system', 'cancelOutcome', 'cancelled')
      WHEN 'REFUNDING' THEN jsonb_build_object('state', 'NEEDS_ATTENTION', 'previousState', 'REFUNDING',
        'attentionReason', COALESCE("attentionReason", 'REFUNDING without machine state'))
      WHEN 'NEEDS_ATTENTION' THEN jsonb_build_object('state', 'NEEDS_ATTENTION', 'previousState', 'NEEDS_ATTENTION',
        'attentionReason', COALESCE("attentionReason", 'NEEDS_ATTENTION without machine state'))
      ELSE jsonb_build_object('state', "state") END
    || CASE WHEN "alipayTransId" IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('alipayTransId', "alipayTransId") END
    || CASE WHEN "paidAt" IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('paidAt', (EXTRACT(EPOCH FROM "paidAt") * 1000)::bigint) END
  )::text,
  "attentionReason" = CASE WHEN "state" IN ('REFUNDING', 'NEEDS_ATTENTION')
    THEN COALESCE("attentionReason", "state" || ' without machine state') ELSE "attentionReason" END,
  "nextActionAt" = CASE WHEN "state" IN ('REFUNDING', 'NEEDS_ATTENTION') THEN NULL ELSE "nextActionAt" END,
  "state" = CASE WHEN "state" = 'REFUNDING' THEN 'NEEDS_ATTENTION' ELSE "state" END
WHERE "machineState" NOT LIKE '%"state":%';
