import { AccountView } from "../../../features/staff/account-view.tsx";

export default function Page() {
  return <AccountView />;
}
