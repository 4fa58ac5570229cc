export default function KioskPage() {
  return (
    <main className="flex min-h-screen items-center justify-center bg-blue-900 text-white">
      <h1 className="text-5xl font-bold">Touch to start</h1>
    </main>
  );
}
