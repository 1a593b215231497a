// The one way the portal talks to Berth: fetch with the session cookie, the CSRF token Harbor's
// API hands out on every response (sent back on every unsafe request), and Harbor's error shape
// ({"errors":[{"code","message"}]}) turned into an ApiError whose message a person can read.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Page<T> {
  items: T[];
  total: number;
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

const CSRF_HEADER = "X-Harbor-CSRF-Token";

// What an error response says, in words: Harbor's first error message, else the status.
export async function errorOf(response: Response): Promise<ApiError> {
  let code = "UNKNOWN";
  let message = `the server answered ${response.status} ${response.statusText}`.trim();
  try {
    const body = (await response.json()) as { errors?: { code?: string; message?: string }[] };
    const first = body.errors?.[0];
    if (first?.message) message = first.message;
    if (first?.code) code = first.code;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, code, message);
}

export class Client {
  private csrf: string | null = null;
  // Counts sign-ins and session ends: an answer to a request sent before the latest one says
  // nothing about the session now, so it never ends it.
  private generation = 0;
  // Called when the API answers 401 to a request made with a session (it expired).
  onUnauthorized: () => void = () => {};

  constructor(private readonly fetcher: Fetch = (input, init) => fetch(input, init)) {}

  async request(method: string, path: string, body?: unknown, form?: URLSearchParams): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (method !== "GET" && method !== "HEAD" && this.csrf) headers[CSRF_HEADER] = this.csrf;
    let payload: BodyInit | undefined;
    if (form) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      payload = form.toString();
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const sentIn = this.generation;
    let response: Response;
    try {
      response = await this.fetcher(path, { method, headers, body: payload, credentials: "same-origin" });
    } catch {
      throw new ApiError(0, "NETWORK", "Berth cannot be reached; check the connection and try again");
    }
    const token = response.headers.get(CSRF_HEADER);
    const session = !path.startsWith("/c/");
    const current = sentIn === this.generation;
    if (!current) {
      if (!response.ok) throw await errorOf(response);
      return response;
    }
    if (token) {
      this.csrf = token;
    } else if (this.csrf && session) {
      // Berth sends the token on every answer to a signed-in request: none means the session
      // ended (it expired, or the user signed out elsewhere) and this was answered anonymously.
      this.endSession();
      throw new ApiError(401, "UNAUTHORIZED", "Your session has ended: sign in again.");
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401 && session) this.endSession();
      throw error;
    }
    return response;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body);
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // A listing with Harbor's paging: the items and X-Total-Count.
  async page<T>(path: string): Promise<Page<T>> {
    const response = await this.request("GET", path);
    const items = ((await response.json()) ?? []) as T[];
    const total = Number(response.headers.get("X-Total-Count") ?? items.length);
    return { items, total: Number.isFinite(total) ? total : items.length };
  }

  private endSession(): void {
    this.csrf = null;
    this.generation++;
    this.onUnauthorized();
  }

  async login(principal: string, password: string): Promise<void> {
    this.generation++;
    await this.request("POST", "/c/login", undefined, new URLSearchParams({ principal, password }));
  }

  async logout(): Promise<void> {
    await this.request("POST", "/c/logout");
    this.csrf = null;
    this.generation++;
  }
}

export const api = new Client();
