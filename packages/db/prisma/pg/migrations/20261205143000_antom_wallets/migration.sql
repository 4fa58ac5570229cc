-- AlterTable
ALTER TABLE "Attraction" ADD COLUMN     "acceptedWallets" TEXT;

-- AlterTable
ALTER TABLE "Payment" ADD COLUMN     "paymentMethodType" TEXT,
ADD COLUMN     "walletName" TEXT;

