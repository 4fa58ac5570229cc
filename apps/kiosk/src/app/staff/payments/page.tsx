import { Suspense } from "react";
import { PaymentsView } from "../../../features/staff/payments-view.tsx";

export default function Page() {
  return (
    <Suspense fallback={<p role="status">Loading…</p>}>
      <PaymentsView />
    </Suspense>
  );
}
