import { TicketsView } from "../../../features/staff/tickets-view.tsx";

export default function Page() {
  return <TicketsView />;
}
