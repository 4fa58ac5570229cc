-- AlterTable
ALTER TABLE "Payment" ADD COLUMN "payRequest" TEXT;
