-- AlterTable
ALTER TABLE "StaffUser" ADD COLUMN "failedLogins" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "StaffUser" ADD COLUMN "loginDelayUntil" DATETIME;
ALTER TABLE "StaffUser" ADD COLUMN "lastFailedLoginAt" DATETIME;

-- CreateTable
CREATE TABLE "StaffDevice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "lastUsedAt" DATETIME NOT NULL,
    CONSTRAINT "StaffDevice_userId_fkey" FOREIGN KEY ("userId") REFERENCES "StaffUser" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "StaffDevice_userId_tokenHash_key" ON "StaffDevice"("userId", "tokenHash");
