import Link from "next/link";

export default function Forbidden() {
  return (
    <div className="panel" role="alert">
      <h1>Not allowed</h1>
      <p>Your account does not have access to this page. Ask an administrator if you need it.</p>
      <Link href="/projects">Back to your projects</Link>
    </div>
  );
}
