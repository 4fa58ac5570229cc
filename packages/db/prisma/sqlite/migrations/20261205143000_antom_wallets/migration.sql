-- AlterTable
ALTER TABLE "Attraction" ADD COLUMN "acceptedWallets" TEXT;

-- AlterTable
ALTER TABLE "Payment" ADD COLUMN "paymentMethodType" TEXT;
ALTER TABLE "Payment" ADD COLUMN "walletName" TEXT;
