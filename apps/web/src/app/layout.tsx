import type { Metadata } from "next";
import type { ReactNode } from "react";
import { Providers } from "@/client/trpc.tsx";
import { TopBar } from "@/components/top-bar.tsx";
import "./globals.css";

// Every page depends on who is signed in.
export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "SAM data engine", description: "Annotate, review and export segmentation masks with Segment Anything" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <TopBar />
          <main>{children}</main>
        </Providers>
      </body>
    </html>
  );
}
