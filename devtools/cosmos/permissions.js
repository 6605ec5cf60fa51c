// Resource tokens for the Cosmos DB stand-in, which served every request whatever its
// Authorization header said. Only what Cosmos documents, no more; users and permissions, and the
// tokens they mint, are in users.js.
//
// - A request signed `type=resource&ver=1.0&sig=...` ("Access control on Cosmos DB resources",
//   https://learn.microsoft.com/en-us/rest/api/cosmos-db/access-control-on-cosmosdb-resources) is
//   served only when its resource link starts with the permission's resource link and, for a
//   permission with a resourcePartitionKey, when it names that partition key (the .NET SDK's
//   PermissionProperties.ResourcePartitionKey: "a permission applies to resources when ResourceUri
//   is prefix of resource's link and the partition key matches"), and when the mode allows the verb
//   ("Read" reads only; https://learn.microsoft.com/en-us/rest/api/cosmos-db/permissions). Anything
//   else is 403 Forbidden; an unknown, expired or revoked token is 401.
// - Only the account key manages users and permissions: a resource token gets 403 there.
// - Reading the database account (GET /) accepts any valid token (the Python SDK's auth.py sends
//   "the first token" there, because "the service will accept any token in this case").
// Which credential served each request is kept in a log at GET /_standin/requests (not readable
// with a resource token) so tests can show that a customer's requests used only its own tokens.
"use strict";

const { PassThrough } = require("stream");
const {
  state,
  now,
  linkOf,
  users,
  createUser,
  readUser,
  deleteUser,
  createPermission,
  readPermission,
  readPermissions,
  deletePermission,
} = require("./users");

const PARTITION_HEADER = "x-ms-documentdb-partitionkey";
const LOG_LIMIT = 20000;

const log = [];

function forbidden(res, message) {
  res.statusCode = 403;
  return { code: "Forbidden", message };
}

function unauthorized(res, message) {
  res.statusCode = 401;
  return { code: "Unauthorized", message };
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
  // Databases and containers change only through ARM in Azure (disableKeyBasedMetadataWriteAccess,
  // modules/cosmos.bicep): "limiting key and resource tokens to data plane operations only"
  // (https://azure.github.io/PSRule.Rules.Azure/en/rules/Azure.Cosmos.DisableMetadataWrite).
  if (!documents && !reads && link !== "") return "a resource token may not change a container";
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

function partitionPath(account, params) {
  const collection = account.database(params.dbId).collection(params.collId).read();
  return collection && collection.partitionKey && collection.partitionKey.paths[0];
}

// Cosmos refuses a patch of the partition key path (a document never changes partition that way).
function patchRefusal(body, path) {
  const operations = Array.isArray(body) ? body : body && body.operations;
  if (!Array.isArray(operations) || !path) return null;
  const touches = operations.some(op => op && (op.path === path || String(op.path).startsWith(`${path}/`)));
  return touches ? "the partition key of a document cannot be patched" : null;
}

function bodyRefusal(account, params, req, raw) {
  let body;
  try {
    body = JSON.parse(raw.toString() || "null");
  } catch (_) {
    return null; // not JSON: the stand-in answers it as it would
  }
  if (req.method === "PATCH") return patchRefusal(body, partitionPath(account, params));
  const header = req.headers[PARTITION_HEADER];
  const named = header === undefined ? undefined : String(Array.isArray(header) ? header[0] : header);
  if (Array.isArray(body)) {
    const stray = body.find(op => op && op.partitionKey !== undefined && canon(op.partitionKey) !== canon(named));
    return stray ? "a batch operation names another partition key than the request" : null;
  }
  const path = partitionPath(account, params);
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

// A feed read (GET .../docs) with a partition key reads that partition only, as in Cosmos; the
// stand-in lists every document of the container whatever the header says.
function onlyPartition([params, handler], permission) {
  return [
    params,
    async (account, req, res, p) => {
      const body = await handler(account, req, res, p);
      const path = partitionPath(account, p);
      if (!body || !Array.isArray(body.Documents) || !path) return body;
      const wanted = JSON.stringify(permission.resourcePartitionKey);
      const value = doc => path.split("/").filter(Boolean).reduce((v, k) => (v == null ? undefined : v[k]), doc);
      const Documents = body.Documents.filter(doc => JSON.stringify([value(doc)]) === wanted);
      return { ...body, Documents, _count: Documents.length };
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
  const writesDocument = /\/docs(\/|$)/.test(link) && ["POST", "PUT", "PATCH"].includes(method);
  if (routed && writesDocument) return checkingBody(routed);
  const readsFeed = method === "GET" && link.endsWith("/docs");
  return routed && readsFeed && permission.resourcePartitionKey ? onlyPartition(routed, permission) : routed;
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
