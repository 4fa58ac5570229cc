import Link from "next/link";

export default function Home() {
  return (
    <main className="mx-auto max-w-2xl p-10">
      <h1 className="text-3xl font-bold">Ticket kiosk</h1>
      <ul className="mt-6 list-disc pl-6 text-lg">
        <li>
          <Link className="text-blue-800 underline" href="/kiosk">
            Kiosk
          </Link>
        </li>
        <li>
          <Link className="text-blue-800 underline" href="/staff">
            Staff console
          </Link>
        </li>
        <li>
          <a className="text-blue-800 underline" href="/api/trpc">
            API (tRPC)
          </a>
        </li>
      </ul>
    </main>
  );
}
