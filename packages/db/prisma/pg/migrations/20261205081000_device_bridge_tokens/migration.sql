-- AlterTable
ALTER TABLE "Counter" ADD COLUMN     "bridgeTokenNonce" TEXT,
ADD COLUMN     "bridgeTokenHash" TEXT,
ADD COLUMN     "bridgeTokenIssuedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Kiosk" ADD COLUMN     "bridgeTokenNonce" TEXT,
ADD COLUMN     "bridgeTokenHash" TEXT,
ADD COLUMN     "bridgeTokenIssuedAt" TIMESTAMP(3);
