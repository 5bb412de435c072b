// Shared between the global setup and the tests: where the server is and who logs in.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface E2EServer {
  url: string;
  pid: number;
  dataDir: string;
  email: string;
  password: string;
  ingestKey: string;
  seeded: { services: string[]; alertTitle: string; incidentTitle: string; sloName: string };
}

export const STATE_FILE = join(import.meta.dirname, "..", "test-results", "e2e-server.json");
export const SCREENSHOTS = join(import.meta.dirname, "..", "test-results", "screenshots");

export function server(): E2EServer {
  return JSON.parse(readFileSync(STATE_FILE, "utf8")) as E2EServer;
}
