// Cosmos DB users and permissions for the stand-in (permissions.js enforces the tokens minted
// here). Users (POST/GET/DELETE dbs/{db}/users[/{user}]) own permissions (POST/GET/DELETE
// dbs/{db}/users/{user}/permissions[/{perm}]) with id, permissionMode ("Read" | "All"), resource
// (a link such as dbs/{db}/colls/{coll}) and an optional resourcePartitionKey ([value]); two
// permissions of one user on one resource are a 409. Every POST, PUT or GET of a permission
// returns a fresh resource token in `_token`, valid for x-ms-documentdb-expiry-seconds (default
// 3600, at most 18000): https://learn.microsoft.com/en-us/rest/api/cosmos-db/permissions and
// https://learn.microsoft.com/en-us/rest/api/cosmos-db/create-a-permission
"use strict";

const crypto = require("crypto");

const DEFAULT_EXPIRY = 3600;
// The .NET SDK's RequestOptions.ResourceTokenExpirySeconds: "from 10 seconds, to 5 hours".
const MIN_EXPIRY = 10;
const MAX_EXPIRY = 18000;
// Persisted with --data: users and permissions by database, and the tokens minted from them
// (a real token is a signature that outlives a restart, so ours must too).
const state = { users: {}, tokens: {} };

function now() {
  return Date.now() / 1000;
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

module.exports = {
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
};
