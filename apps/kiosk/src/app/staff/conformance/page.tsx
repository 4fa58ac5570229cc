import { ConformanceView } from "../../../features/staff/conformance-view.tsx";

export default function Page() {
  return <ConformanceView />;
}
