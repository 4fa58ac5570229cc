import { GateView } from "../../../features/staff/gate-view.tsx";

export default function Page() {
  return <GateView />;
}
