// vitest (jsdom): a clean slate for every test.
import { cleanup } from "@testing-library/react";
import { afterEach, beforeEach } from "vitest";
import { session } from "../auth/session";

beforeEach(() => {
  localStorage.clear();
  session.reset();
});

afterEach(() => {
  cleanup();
});
