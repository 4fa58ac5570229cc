import { FleetView } from "../../features/staff/fleet-view.tsx";

export default function StaffFleetPage() {
  return <FleetView />;
}
