import { UsersView } from "../../../features/staff/users-view.tsx";

export default function Page() {
  return <UsersView />;
}
