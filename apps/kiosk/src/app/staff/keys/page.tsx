import { KeysView } from "../../../features/staff/keys-view.tsx";

export default function Page() {
  return <KeysView />;
}
