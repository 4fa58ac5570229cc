-- CreateTable
CREATE TABLE "Terminal" (
    "id" TEXT NOT NULL,
    "attractionId" TEXT NOT NULL,
    "storeId" TEXT NOT NULL,
    "terminalCode" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "webhookUrl" TEXT,
    "webhookSecret" TEXT NOT NULL,
    "keyPrefix" TEXT NOT NULL,
    "keyHash" TEXT NOT NULL,
    "scopes" TEXT NOT NULL,
    "isActive" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "Terminal_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TerminalPayment" (
    "id" TEXT NOT NULL,
    "terminalId" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "amountMinor" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "notifiedVersion" INTEGER NOT NULL DEFAULT 0,
    "isWatched" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TerminalPayment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TerminalWebhook" (
    "id" TEXT NOT NULL,
    "terminalPaymentId" TEXT NOT NULL,
    "terminalId" TEXT NOT NULL,
    "paymentVersion" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "deliveredAt" TIMESTAMP(3),

    CONSTRAINT "TerminalWebhook_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Terminal_keyPrefix_key" ON "Terminal"("keyPrefix");

-- CreateIndex
CREATE UNIQUE INDEX "Terminal_attractionId_storeId_terminalCode_key" ON "Terminal"("attractionId", "storeId", "terminalCode");

-- CreateIndex
CREATE UNIQUE INDEX "TerminalPayment_orderId_key" ON "TerminalPayment"("orderId");

-- CreateIndex
CREATE INDEX "TerminalPayment_terminalId_createdAt_idx" ON "TerminalPayment"("terminalId", "createdAt");

-- CreateIndex
CREATE INDEX "TerminalPayment_isWatched_idx" ON "TerminalPayment"("isWatched");

-- CreateIndex
CREATE UNIQUE INDEX "TerminalPayment_terminalId_idempotencyKey_key" ON "TerminalPayment"("terminalId", "idempotencyKey");

-- CreateIndex
CREATE INDEX "TerminalWebhook_state_nextAttemptAt_idx" ON "TerminalWebhook"("state", "nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "TerminalWebhook_terminalPaymentId_paymentVersion_key" ON "TerminalWebhook"("terminalPaymentId", "paymentVersion");

-- AddForeignKey
ALTER TABLE "TerminalPayment" ADD CONSTRAINT "TerminalPayment_terminalId_fkey" FOREIGN KEY ("terminalId") REFERENCES "Terminal"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TerminalWebhook" ADD CONSTRAINT "TerminalWebhook_terminalPaymentId_fkey" FOREIGN KEY ("terminalPaymentId") REFERENCES "TerminalPayment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
