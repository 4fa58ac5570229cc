import { AttentionView } from "../../../features/staff/attention-view.tsx";

export default function Page() {
  return <AttentionView />;
}
