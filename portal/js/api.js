// The one way the portal talks to the API: same origin, bearer token, errors in words.
import { token, signOut } from "./auth.js";

// `fields`: the API's [{field, message}] for a form to show beside each field; `confirm`: the
// request flag that would carry out a refusal a person may override (e.g. confirmDuplicate).
export class ApiError extends Error {
  constructor(status, message, { fields = [], confirm = null } = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
    this.confirm = confirm;
  }
}

async function failure(response) {
  try {
    const body = await response.json();
    const extra = { fields: Array.isArray(body.errors) ? body.errors : [], confirm: body.confirm || null };
    // The per-field sentences read without the API's field names; the detail has them too.
    const sentences = extra.fields.map((f) => f.message).filter(Boolean);
    const message = sentences.length ? [...new Set(sentences)].join(" ") : body.detail;
    if (typeof message === "string") return new ApiError(response.status, message, extra);
  } catch {
    // not JSON: fall through to a sentence about the status
  }
  return new ApiError(response.status, `The service could not do this (status ${response.status}); try again later.`);
}

export async function request(method, path, { body, raw, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  const bearer = token();
  // Not Authorization: Azure Static Web Apps replaces that header before the API sees it.
  if (bearer) init.headers["x-scanposture-authorization"] = `Bearer ${bearer}`;
  if (body instanceof Blob) init.body = body;
  else if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, "the service could not be reached; check your connection and try again");
  }
  if (response.status === 401) {
    signOut(false);
    throw new ApiError(401, "your session has ended; sign in again");
  }
  if (!response.ok) throw await failure(response);
  if (raw) return response;
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
}

export const get = (path) => request("GET", path);
export const post = (path, body) => request("POST", path, { body });
export const put = (path, body) => request("PUT", path, { body });
export const patch = (path, body) => request("PATCH", path, { body });
export const del = (path) => request("DELETE", path);

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// Saves a response body as a file: the download needs the bearer token, so a plain link won't do.
export async function download(path, fallbackName) {
  const response = await request("GET", path, { raw: true });
  const disposition = response.headers.get("content-disposition") || "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] || fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
  return name;
}
