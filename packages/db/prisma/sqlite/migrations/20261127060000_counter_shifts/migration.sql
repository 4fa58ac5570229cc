-- CreateTable
CREATE TABLE "Counter" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "attractionId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "location" TEXT NOT NULL DEFAULT '',
    "isActive" BOOLEAN NOT NULL DEFAULT true,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Counter_attractionId_fkey" FOREIGN KEY ("attractionId") REFERENCES "Attraction" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Shift" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "counterId" TEXT NOT NULL,
    "staffUserId" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "openFor" TEXT,
    "currency" TEXT NOT NULL,
    "openedAt" DATETIME NOT NULL,
    "closedAt" DATETIME,
    "closeNote" TEXT,
    "salesCount" INTEGER NOT NULL DEFAULT 0,
    "salesTotalMinor" INTEGER NOT NULL DEFAULT 0,
    "refundsCount" INTEGER NOT NULL DEFAULT 0,
    "refundsTotalMinor" INTEGER NOT NULL DEFAULT 0,
    "cancellationsCount" INTEGER NOT NULL DEFAULT 0,
    "netTotalMinor" INTEGER NOT NULL DEFAULT 0,
    "gatewayNetMinor" INTEGER,
    "differenceCount" INTEGER NOT NULL DEFAULT 0,
    "summary" TEXT NOT NULL DEFAULT '{}',
    CONSTRAINT "Shift_counterId_fkey" FOREIGN KEY ("counterId") REFERENCES "Counter" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Shift_staffUserId_fkey" FOREIGN KEY ("staffUserId") REFERENCES "StaffUser" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Order" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "attractionId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "kioskId" TEXT,
    "apiClientId" TEXT,
    "staffUserId" TEXT,
    "shiftId" TEXT,
    "externalRef" TEXT,
    "state" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "totalMinor" INTEGER NOT NULL,
    "refundedMinor" INTEGER NOT NULL DEFAULT 0,
    "locale" TEXT NOT NULL DEFAULT 'en',
    "expiresAt" DATETIME NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "Order_attractionId_fkey" FOREIGN KEY ("attractionId") REFERENCES "Attraction" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Order_kioskId_fkey" FOREIGN KEY ("kioskId") REFERENCES "Kiosk" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Order_apiClientId_fkey" FOREIGN KEY ("apiClientId") REFERENCES "ApiClient" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Order_staffUserId_fkey" FOREIGN KEY ("staffUserId") REFERENCES "StaffUser" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "Order_shiftId_fkey" FOREIGN KEY ("shiftId") REFERENCES "Shift" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Order" ("apiClientId", "attractionId", "channel", "createdAt", "currency", "expiresAt", "externalRef", "id", "kioskId", "locale", "refundedMinor", "shiftId", "staffUserId", "state", "totalMinor", "updatedAt") SELECT "apiClientId", "attractionId", "channel", "createdAt", "currency", "expiresAt", "externalRef", "id", "kioskId", "locale", "refundedMinor", "shiftId", "staffUserId", "state", "totalMinor", "updatedAt" FROM "Order";
DROP TABLE "Order";
ALTER TABLE "new_Order" RENAME TO "Order";
CREATE INDEX "Order_state_expiresAt_idx" ON "Order"("state", "expiresAt");
CREATE INDEX "Order_kioskId_createdAt_idx" ON "Order"("kioskId", "createdAt");
CREATE INDEX "Order_createdAt_idx" ON "Order"("createdAt");
CREATE INDEX "Order_shiftId_idx" ON "Order"("shiftId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "Counter_attractionId_name_key" ON "Counter"("attractionId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Shift_openFor_key" ON "Shift"("openFor");

-- CreateIndex
CREATE INDEX "Shift_staffUserId_openedAt_idx" ON "Shift"("staffUserId", "openedAt");

-- CreateIndex
CREATE INDEX "Shift_counterId_openedAt_idx" ON "Shift"("counterId", "openedAt");

