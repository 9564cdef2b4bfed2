// The web form and the HTTP API as a browser and an API client use them, over real HTTP.

/** Loads the registration form and returns its CSRF token ("" when the page is not a form). */
export async function webForm(base: string, token: string): Promise<string> {
  const response = await fetch(`${base}/invite/${token}/register`);
  const html = await response.text();
  return /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
}

export async function webPost(base: string, token: string, csrf: string, username: string, password: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${base}/invite/${token}/register`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf, username, password, confirm: password }).toString(),
  });
  return { status: response.status, body: await response.text() };
}

/** GET the form, then POST it: a person registering on the web. */
export async function webRegister(base: string, token: string, username: string, password: string): Promise<{ status: number; body: string }> {
  return webPost(base, token, await webForm(base, token), username, password);
}

export async function apiRegister(base: string, token: string, username: string, password: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/api/v1/registrations`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ token, username, password }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function api(base: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
