import { SalesView } from "../../../features/staff/sales-view.tsx";

export default function Page() {
  return <SalesView />;
}
