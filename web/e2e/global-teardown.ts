import { existsSync, rmSync } from "node:fs";
import { STATE_FILE, server } from "./server";

/** Stops the server the setup started (by its pid) and removes its data. */
export default async function globalTeardown(): Promise<void> {
  if (!existsSync(STATE_FILE)) return; // the setup failed and stopped its server itself
  const { pid, dataDir } = server();
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return; // already gone
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!process.env.SENTINEL_E2E_KEEP) rmSync(dataDir, { recursive: true, force: true });
}
