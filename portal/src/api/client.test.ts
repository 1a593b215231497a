import { describe, expect, it } from "vitest";
import { ApiError, Client } from "./client";

function respond(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers });
}

describe("Client", () => {
  it("sends back the CSRF token of the last response on unsafe requests only", async () => {
    const seen: { method: string; token: string | null }[] = [];
    const client = new Client(async (_path, init) => {
      const headers = new Headers(init?.headers);
      seen.push({ method: init?.method ?? "GET", token: headers.get("X-Harbor-CSRF-Token") });
      return respond(200, [], { "X-Harbor-CSRF-Token": "t1" });
    });
    await client.request("GET", "/api/v2.0/projects");
    await client.request("POST", "/api/v2.0/projects", { project_name: "a" });
    await client.request("GET", "/api/v2.0/projects");
    expect(seen).toEqual([
      { method: "GET", token: null },
      { method: "POST", token: "t1" },
      { method: "GET", token: null },
    ]);
  });

  it("turns Harbor's error shape into a readable error", async () => {
    const client = new Client(async () => respond(409, { errors: [{ code: "CONFLICT", message: "the project named a already exists" }] }));
    const error = await client.request("POST", "/api/v2.0/projects", {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(409);
    expect((error as ApiError).message).toBe("the project named a already exists");
  });

  it("says so when the answer is not JSON", async () => {
    const client = new Client(async () => new Response("bad gateway", { status: 502, statusText: "Bad Gateway" }));
    const error = (await client.request("GET", "/api/v2.0/projects").catch((e: unknown) => e)) as ApiError;
    expect(error.message).toBe("the server answered 502 Bad Gateway");
  });

  it("reports an expired session once, not for a failed sign-in", async () => {
    let expired = 0;
    const client = new Client(async () => respond(401, { errors: [{ code: "UNAUTHORIZED", message: "unauthorized" }] }));
    client.onUnauthorized = () => expired++;
    await client.request("GET", "/api/v2.0/users/current").catch(() => undefined);
    await client.login("u", "wrong").catch(() => undefined);
    expect(expired).toBe(1);
  });

  it("reads the total of a listing from X-Total-Count", async () => {
    const client = new Client(async () => respond(200, [{ name: "a" }], { "X-Total-Count": "10001" }));
    const page = await client.page<{ name: string }>("/api/v2.0/projects?page=1&page_size=1");
    expect(page).toEqual({ items: [{ name: "a" }], total: 10001 });
  });

  it("takes an answer without the session's token as the end of the session", async () => {
    let expired = 0;
    let signedIn = true;
    const client = new Client(async () => respond(200, [], signedIn ? { "X-Harbor-CSRF-Token": "t1" } : {}));
    client.onUnauthorized = () => expired++;
    await client.request("GET", "/api/v2.0/projects");
    signedIn = false; // the server forgot the session: it answers as to anyone
    const error = (await client.request("GET", "/api/v2.0/projects").catch((e: unknown) => e)) as ApiError;
    expect(error.status).toBe(401);
    expect(expired).toBe(1);
    await client.request("GET", "/api/v2.0/projects"); // signed out now: anonymous answers are normal
    expect(expired).toBe(1);
  });

  it("does not end a new session for an answer to a request of the old one", async () => {
    let expired = 0;
    let release: (r: Response) => void = () => {};
    const client = new Client(async (path) => {
      if (path === "/api/v2.0/slow") return new Promise<Response>((resolve) => (release = resolve));
      return respond(200, [], { "X-Harbor-CSRF-Token": "t2" });
    });
    client.onUnauthorized = () => expired++;
    await client.request("GET", "/api/v2.0/projects");
    const slow = client.request("GET", "/api/v2.0/slow").catch((e: unknown) => e);
    await client.login("u", "p"); // a new session while the old request is out
    release(respond(401, { errors: [{ code: "UNAUTHORIZED", message: "unauthorized" }] }));
    expect(((await slow) as ApiError).status).toBe(401);
    expect(expired).toBe(0);
  });
});
