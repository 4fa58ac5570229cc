export default function StaffPage() {
  return (
    <main className="p-10">
      <h1 className="text-2xl font-bold">Staff console</h1>
    </main>
  );
}
