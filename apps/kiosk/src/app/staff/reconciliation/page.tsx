import { ReconciliationView } from "../../../features/staff/reconciliation-view.tsx";

export default function Page() {
  return <ReconciliationView />;
}
