-- AlterTable
ALTER TABLE "Terminal" ADD COLUMN     "previousKeyPrefix" TEXT,
ADD COLUMN     "previousKeyHash" TEXT,
ADD COLUMN     "previousKeyExpiresAt" TIMESTAMP(3),
ADD COLUMN     "keyRotatedAt" TIMESTAMP(3);

-- CreateIndex
CREATE UNIQUE INDEX "Terminal_previousKeyPrefix_key" ON "Terminal"("previousKeyPrefix");
