-- AlterTable
ALTER TABLE "Payment" ADD COLUMN "exchangeRate" TEXT;
