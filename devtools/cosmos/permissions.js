// Users, permissions and resource tokens for the Cosmos DB stand-in, which has none: every request
// was served whatever its Authorization header said. Only what Cosmos documents, no more:
//
// - Users (POST/GET/DELETE dbs/{db}/users[/{user}]) and their permissions (POST/GET/DELETE
//   dbs/{db}/users/{user}/permissions[/{perm}]) with id, permissionMode ("Read" | "All"),
//   resource (a link such as dbs/{db}/colls/{coll}) and an optional resourcePartitionKey ([value]).
//   Only the account key may manage them. Two permissions of one user on one resource are a 409.
//   https://learn.microsoft.com/en-us/rest/api/cosmos-db/permissions
//   https://learn.microsoft.com/en-us/rest/api/cosmos-db/create-a-permission
// - Every POST, PUT or GET of a permission returns a fresh resource token in `_token`, valid for
//   x-ms-documentdb-expiry-seconds (default 3600, at most 18000) (same pages).
// - A request signed `type=resource&ver=1.0&sig=...` ("Access control on Cosmos DB resources",
//   https://learn.microsoft.com/en-us/rest/api/cosmos-db/access-control-on-cosmosdb-resources) is
//   served only when its resource link starts with the permission's resource link and, for a
//   permission with a resourcePartitionKey, when it names that partition key (the .NET SDK's
//   PermissionProperties.ResourcePartitionKey: "a permission applies to resources when ResourceUri
//   is prefix of resource's link and the partition key matches"), and when the mode allows the verb
//   ("Read" reads only). Anything else is 403 Forbidden; an unknown, expired or revoked token is 401.
// - Reading the database account (GET /) accepts any valid token (the Python SDK's auth.py sends
//   "the first token" there, because "the service will accept any token in this case").
// Which credential served each request is kept in a log at GET /_standin/requests (account key only)
// so tests can show that a customer's requests used only that customer's tokens.
"use strict";

const crypto = require("crypto");
const { PassThrough } = require("stream");

const DEFAULT_EXPIRY = 3600;
// The .NET SDK's RequestOptions.ResourceTokenExpirySeconds: "from 10 seconds, to 5 hours".
const MIN_EXPIRY = 10;
const MAX_EXPIRY = 18000;
const PARTITION_HEADER = "x-ms-documentdb-partitionkey";
const LOG_LIMIT = 20000;

// Persisted with --data: users and permissions by database, and the tokens minted from them
// (a real token is a signature that outlives a restart, so ours must too).
const state = { users: {}, tokens: {} };
const log = [];

function now() {
  return Date.now() / 1000;
}

function forbidden(res, message) {
  res.statusCode = 403;
  return { code: "Forbidden", message };
}

function unauthorized(res, message) {
  res.statusCode = 401;
  return { code: "Unauthorized", message };
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", c => chunks.push(c));
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString() || "{}"));
      } catch (err) {
        resolve(undefined);
      }
    });
    req.on("error", reject);
  });
}

// The Authorization header as the SDKs send it: URL-encoded `type=...&ver=...&sig=...`.
function credential(req) {
  const raw = req.headers.authorization;
  if (!raw) return { type: null };
  let text;
  try {
    text = decodeURIComponent(Array.isArray(raw) ? raw[0] : raw);
  } catch (_) {
    return { type: null };
  }
  const parts = {};
  for (const piece of text.split("&")) {
    const i = piece.indexOf("=");
    if (i > 0) parts[piece.slice(0, i)] = piece.slice(i + 1);
  }
  return { type: parts.type || null, sig: parts.sig || "", text };
}

// A resource link, each segment decoded as the stand-in's router decodes its parameters.
function linkOf(pathname) {
  const segments = pathname.split("/").filter(Boolean);
  try {
    return segments.map(decodeURIComponent).join("/");
  } catch (_) {
    return segments.join("/");
  }
}

function users(db) {
  if (!state.users[db]) state.users[db] = {};
  return state.users[db];
}

function resourceBody(db, user, extra) {
  return {
    ...extra,
    _rid: crypto.randomBytes(6).toString("base64"),
    _ts: Math.floor(now()),
    _self: `dbs/${db}/users/${user}${extra.permissionMode ? `/permissions/${extra.id}` : ""}/`,
    _etag: `"${crypto.randomUUID()}"`,
  };
}

function publicUser(db, user) {
  const { permissions, ...body } = user;
  return { ...body, _permissions: "permissions/" };
}

// A fresh, unguessable token bound to one permission until its expiry.
function mint(req, db, userId, permission, res) {
  const header = req.headers["x-ms-documentdb-expiry-seconds"];
  const seconds = header === undefined ? DEFAULT_EXPIRY : Number(header);
  if (!Number.isInteger(seconds) || seconds < MIN_EXPIRY || seconds > MAX_EXPIRY) {
    res.statusCode = 400;
    return { code: "BadRequest", message: `x-ms-documentdb-expiry-seconds must be ${MIN_EXPIRY}..${MAX_EXPIRY}` };
  }
  const sig = crypto.randomBytes(32).toString("base64url");
  state.tokens[sig] = { db, user: userId, permission: permission.id, expires: now() + seconds };
  return { ...permission, _token: `type=resource&ver=1.0&sig=${sig}` };
}

async function createUser(account, req, res, params) {
  const body = await readJson(req);
  if (!body || typeof body.id !== "string" || !body.id) {
    res.statusCode = 400;
    return { code: "BadRequest", message: "a user needs an id" };
  }
  const all = users(params.dbId);
  if (all[body.id]) {
    res.statusCode = 409;
    return { code: "Conflict", message: "Resource with specified id or name already exists." };
  }
  all[body.id] = { ...resourceBody(params.dbId, body.id, { id: body.id }), permissions: {} };
  res.statusCode = 201;
  return publicUser(params.dbId, all[body.id]);
}

function findUser(params, res) {
  const user = users(params.dbId)[params.userId];
  if (!user) {
    res.statusCode = 404;
    return [null, { code: "NotFound", message: "Entity with the specified id does not exist in the system." }];
  }
  return [user, null];
}

function readUser(account, req, res, params) {
  const [user, error] = findUser(params, res);
  return error || publicUser(params.dbId, user);
}

function deleteUser(account, req, res, params) {
  const [, error] = findUser(params, res);
  if (error) return error;
  delete users(params.dbId)[params.userId];
  res.statusCode = 204;
  return {};
}

function validPermission(body) {
  if (!body || typeof body.id !== "string" || !body.id || body.id.length > 255) return "id";
  if (body.permissionMode !== "Read" && body.permissionMode !== "All") return "permissionMode";
  if (typeof body.resource !== "string" || !body.resource) return "resource";
  if (body.resourcePartitionKey !== undefined && !Array.isArray(body.resourcePartitionKey)) {
    return "resourcePartitionKey";
  }
  return null;
}

async function createPermission(account, req, res, params) {
  const [user, error] = findUser(params, res);
  if (error) return error;
  const body = await readJson(req);
  const bad = validPermission(body);
  if (bad) {
    res.statusCode = 400;
    return { code: "BadRequest", message: `the permission's ${bad} is missing or invalid` };
  }
  const resource = linkOf(body.resource);
  const clash = Object.values(user.permissions).some(p => p.id === body.id || linkOf(p.resource) === resource);
  if (clash) {
    res.statusCode = 409;
    return { code: "Conflict", message: "Resource with specified id or name already exists." };
  }
  const permission = resourceBody(params.dbId, params.userId, {
    id: body.id,
    permissionMode: body.permissionMode,
    resource,
    ...(body.resourcePartitionKey ? { resourcePartitionKey: body.resourcePartitionKey } : {}),
  });
  user.permissions[body.id] = permission;
  res.statusCode = 201;
  return mint(req, params.dbId, params.userId, permission, res);
}

function readPermission(account, req, res, params) {
  const [user, error] = findUser(params, res);
  if (error) return error;
  const permission = user.permissions[params.permId];
  if (!permission) return findUser({ dbId: "", userId: "" }, res)[1];
  return mint(req, params.dbId, params.userId, permission, res);
}

function readPermissions(account, req, res, params) {
  const [user, error] = findUser(params, res);
  if (error) return error;
  const list = Object.values(user.permissions);
  return { _rid: user._rid, Permissions: list, _count: list.length };
}

function deletePermission(account, req, res, params) {
  const [user, error] = findUser(params, res);
  if (error) return error;
  if (!user.permissions[params.permId]) return findUser({ dbId: "", userId: "" }, res)[1];
  delete user.permissions[params.permId];
  res.statusCode = 204;
  return {};
}

function readLog(account, req, res) {
  const since = Number(new URL(req.url, "https://x").searchParams.get("since") || 0);
  return { next: log.length, requests: log.slice(since) };
}

const OWN_ROUTES = [
  ["POST", /^\/dbs\/([^/]+)\/users$/, ["dbId"], createUser],
  ["GET", /^\/dbs\/([^/]+)\/users\/([^/]+)$/, ["dbId", "userId"], readUser],
  ["DELETE", /^\/dbs\/([^/]+)\/users\/([^/]+)$/, ["dbId", "userId"], deleteUser],
  ["POST", /^\/dbs\/([^/]+)\/users\/([^/]+)\/permissions$/, ["dbId", "userId"], createPermission],
  ["GET", /^\/dbs\/([^/]+)\/users\/([^/]+)\/permissions$/, ["dbId", "userId"], readPermissions],
  ["GET", /^\/dbs\/([^/]+)\/users\/([^/]+)\/permissions\/([^/]+)$/, ["dbId", "userId", "permId"], readPermission],
  [
    "DELETE",
    /^\/dbs\/([^/]+)\/users\/([^/]+)\/permissions\/([^/]+)$/,
    ["dbId", "userId", "permId"],
    deletePermission,
  ],
  ["GET", /^\/_standin\/requests$/, [], readLog],
];

function ownRoute(method, pathname) {
  for (const [verb, pattern, names, handler] of OWN_ROUTES) {
    const m = verb === method && pattern.exec(pathname);
    if (m) {
      const params = {};
      names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
      return [params, handler];
    }
  }
  return undefined;
}

// Whether `permission` lets this request through; the refusal's message when not.
function refusal(req, method, link, permission) {
  if (link !== "") {
    const resource = permission.resource;
    if (link !== resource && !link.startsWith(`${resource}/`)) {
      return `the resource token's permission covers ${resource}, not ${link}`;
    }
  }
  const reads = method === "GET" || method === "HEAD" || method === "POST_QUERY";
  if (permission.permissionMode === "Read" && !reads) return "the resource token's permission is Read";
  // The partition key rule binds documents; the collection's own metadata (its definition and
  // partition key ranges, which the SDKs read before a request) holds no documents.
  const documents = /\/docs(\/|$)/.test(link);
  if (permission.resourcePartitionKey && documents) {
    const header = req.headers[PARTITION_HEADER];
    const crossPartition = String(req.headers["x-ms-documentdb-query-enablecrosspartition"]) === "true";
    let key;
    try {
      key = header === undefined ? undefined : JSON.parse(Array.isArray(header) ? header[0] : header);
    } catch (_) {
      key = undefined;
    }
    if (crossPartition || JSON.stringify(key) !== JSON.stringify(permission.resourcePartitionKey)) {
      return "the resource token's permission covers one partition key and the request names another";
    }
  }
  return null;
}

function record(entry) {
  log.push({ at: now(), ...entry });
  if (log.length > LOG_LIMIT) log.splice(0, log.length - LOG_LIMIT);
}

// A write's body must name the partition its header names: Cosmos answers 400 when the partition
// key taken from the document differs from x-ms-documentdb-partitionkey ("Common Azure Cosmos DB
// REST request headers": the header is the document's partition key value). The stand-in files a
// created document by its body alone, so without this a token for one partition could write into
// another by naming its own partition in the header only.
// A partition key value as the header or a batch operation spells it, in one comparable form.
function canon(value) {
  if (typeof value !== "string") return JSON.stringify(value === undefined ? null : value);
  try {
    return JSON.stringify(JSON.parse(value));
  } catch (_) {
    return JSON.stringify(value);
  }
}

function bodyRefusal(account, params, req, raw) {
  let body;
  try {
    body = JSON.parse(raw.toString() || "null");
  } catch (_) {
    return null; // not JSON: the stand-in answers it as it would
  }
  const header = req.headers[PARTITION_HEADER];
  const named = header === undefined ? undefined : String(Array.isArray(header) ? header[0] : header);
  if (Array.isArray(body)) {
    const stray = body.find(op => op && op.partitionKey !== undefined && canon(op.partitionKey) !== canon(named));
    return stray ? "a batch operation names another partition key than the request" : null;
  }
  const collection = account.database(params.dbId).collection(params.collId).read();
  const path = collection && collection.partitionKey && collection.partitionKey.paths[0];
  if (!body || typeof body !== "object" || !path) return null;
  const value = path.split("/").filter(Boolean).reduce((v, k) => (v == null ? undefined : v[k]), body);
  if (JSON.stringify([value]) !== canon(named)) {
    return "PartitionKey extracted from document doesn't match the one specified in the header";
  }
  return null;
}

function checkingBody([params, handler]) {
  return [
    params,
    async (account, req, res, p) => {
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const raw = Buffer.concat(chunks);
      const why = bodyRefusal(account, p, req, raw);
      if (why) {
        res.statusCode = 400;
        return { code: "BadRequest", message: why };
      }
      const replay = new PassThrough();
      replay.headers = req.headers;
      replay.method = req.method;
      replay.url = req.url;
      replay.end(raw);
      return handler(account, replay, res, p);
    },
  ];
}

function denied(answer) {
  return [{}, (account, req, res) => answer(res)];
}

// Wraps the stand-in's router: our own routes first, then the credential check, then theirs.
function guard(route, req, method, pathname) {
  const own = ownRoute(req.method, pathname);
  const cred = credential(req);
  const link = linkOf(pathname);
  const base = { method, link, partitionKey: req.headers[PARTITION_HEADER] || null };
  if (cred.type !== "resource") {
    record({ ...base, auth: cred.type || "none" });
    return own || route(req);
  }
  const token = state.tokens[cred.sig];
  const user = token && users(token.db)[token.user];
  const permission = user && user.permissions[token.permission];
  const who = permission ? { user: token.user, permission: token.permission } : {};
  if (!permission || token.expires <= now()) {
    record({ ...base, auth: "resource", ...who, status: 401 });
    return denied(res => unauthorized(res, "The resource token is unknown, expired or revoked."));
  }
  if (own) {
    record({ ...base, auth: "resource", ...who, status: 403 });
    return denied(res => forbidden(res, "Only the account key may manage users and permissions."));
  }
  const why = refusal(req, method, link, permission);
  record({ ...base, auth: "resource", ...who, status: why ? 403 : 200 });
  if (why) return denied(res => forbidden(res, `Insufficient permissions: ${why}.`));
  const routed = route(req);
  const writesDocument = /\/docs(\/|$)/.test(link) && (method === "POST" || method === "PUT");
  return routed && writesDocument ? checkingBody(routed) : routed;
}

function methodOf(req) {
  const flag = name => String(req.headers[name]).toLowerCase() === "true";
  if (req.method === "POST" && (flag("x-ms-documentdb-isquery") || req.headers["content-type"] === "application/query+json")) {
    return "POST_QUERY";
  }
  return req.method;
}

function install(routesModule) {
  const original = routesModule.default;
  routesModule.default = req => {
    let pathname = new URL(req.url, "https://standin").pathname;
    pathname = pathname.replace(/^\/\/+/, "/");
    while (pathname.length > 1 && pathname.endsWith("/")) pathname = pathname.slice(0, -1);
    return guard(original, req, methodOf(req), pathname);
  };
}

module.exports = {
  install,
  dump: () => state,
  load: saved => {
    if (saved) {
      state.users = saved.users || {};
      state.tokens = saved.tokens || {};
    }
  },
};
