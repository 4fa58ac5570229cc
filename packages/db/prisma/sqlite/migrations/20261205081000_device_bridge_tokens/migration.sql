-- AlterTable
ALTER TABLE "Counter" ADD COLUMN "bridgeTokenNonce" TEXT;
ALTER TABLE "Counter" ADD COLUMN "bridgeTokenHash" TEXT;
ALTER TABLE "Counter" ADD COLUMN "bridgeTokenIssuedAt" DATETIME;

-- AlterTable
ALTER TABLE "Kiosk" ADD COLUMN "bridgeTokenNonce" TEXT;
ALTER TABLE "Kiosk" ADD COLUMN "bridgeTokenHash" TEXT;
ALTER TABLE "Kiosk" ADD COLUMN "bridgeTokenIssuedAt" DATETIME;
