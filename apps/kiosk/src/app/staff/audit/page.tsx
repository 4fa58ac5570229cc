import { AuditView } from "../../../features/staff/audit-view.tsx";

export default function Page() {
  return <AuditView />;
}
