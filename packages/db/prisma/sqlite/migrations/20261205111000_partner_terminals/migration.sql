-- CreateTable
CREATE TABLE "Terminal" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME
);

-- CreateTable
CREATE TABLE "TerminalPayment" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "TerminalPayment_terminalId_fkey" FOREIGN KEY ("terminalId") REFERENCES "Terminal" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TerminalWebhook" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "terminalPaymentId" TEXT NOT NULL,
    "terminalId" TEXT NOT NULL,
    "paymentVersion" INTEGER NOT NULL,
    "type" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL,
    "deliveredAt" DATETIME,
    CONSTRAINT "TerminalWebhook_terminalPaymentId_fkey" FOREIGN KEY ("terminalPaymentId") REFERENCES "TerminalPayment" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
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
