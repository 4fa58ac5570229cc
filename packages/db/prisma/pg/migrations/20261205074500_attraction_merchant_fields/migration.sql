-- AlterTable
ALTER TABLE "Attraction" ADD COLUMN     "secondaryMerchantId" TEXT,
ADD COLUMN     "storeId" TEXT;

