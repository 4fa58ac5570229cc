-- AlterTable
ALTER TABLE "Attraction" ADD COLUMN "secondaryMerchantId" TEXT;
ALTER TABLE "Attraction" ADD COLUMN "storeId" TEXT;
