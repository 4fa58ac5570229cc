-- CreateIndex
CREATE INDEX "AuditLog_action_targetType_targetId_idx" ON "AuditLog"("action", "targetType", "targetId");
