-- AlterTable
ALTER TABLE "Terminal" ADD COLUMN "previousKeyPrefix" TEXT;
ALTER TABLE "Terminal" ADD COLUMN "previousKeyHash" TEXT;
ALTER TABLE "Terminal" ADD COLUMN "previousKeyExpiresAt" DATETIME;
ALTER TABLE "Terminal" ADD COLUMN "keyRotatedAt" DATETIME;

-- CreateIndex
CREATE UNIQUE INDEX "Terminal_previousKeyPrefix_key" ON "Terminal"("previousKeyPrefix");
