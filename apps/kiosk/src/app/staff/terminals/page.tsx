import { TerminalsView } from "../../../features/staff/terminals-view.tsx";

export default function Page() {
  return <TerminalsView />;
}
