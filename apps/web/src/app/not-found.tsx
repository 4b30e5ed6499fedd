import Link from "next/link";

export default function NotFound() {
  return (
    <div className="panel">
      <h1>Not found</h1>
      <p>There is nothing here, or it was removed.</p>
      <Link href="/projects">Back to your projects</Link>
    </div>
  );
}
