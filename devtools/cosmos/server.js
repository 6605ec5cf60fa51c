// Runs the Cosmos DB stand-in (@vercel/cosmosdb-server) over TLS with our certificate, with two
// fixes the Python SDK needs (see DESIGN.md):
//  1. reading a missing document answers 404, not the 500 the stand-in throws;
//  2. a transactional batch carries the partition key on each operation; the Python SDK sends it
//     only in the x-ms-documentdb-partitionkey header, so we copy it onto operations lacking one.
// and one for fidelity and speed:
//  3. a query sent with a partition key reads only that partition, as Cosmos DB does. The
//     stand-in evaluates every query over every document of the container, which made a fleet of
//     scans quadratic (each scan's queries scanned every other tenant's findings); an index of
//     each container's documents by partition finds them without visiting the others.
// and, with --data FILE, durability across a restart (the stand-in keeps everything in memory):
//  4. the account is written to FILE when the server stops (SIGTERM/SIGINT) and read back when it
//     starts, so fault tests can restart it in the middle of a fleet scan and lose nothing.
// and, for tenant isolation enforced by the database, Cosmos DB's users, permissions and resource
// tokens, which the stand-in lacks (permissions.js; persisted with --data too).
// Usage: node server.js --cert CERT --key KEY [--host 127.0.0.1] [--port 0] [--data FILE]
// Prints "listening <port>" on stdout once it accepts connections.
"use strict";

const fs = require("fs");
const { AsyncLocalStorage } = require("async_hooks");
const permissions = require("./permissions");
const { PassThrough } = require("stream");

const PARTITION_HEADER = "x-ms-documentdb-partitionkey";
const handlers = "@vercel/cosmosdb-server/lib/handler/";
// Patch the handler modules before the router captures them.
const readDocument = require(handlers + "read-document");
const batchDocuments = require(handlers + "batch-documents");
const { parsePartitionKey } = require("@vercel/cosmosdb-server/lib/utils/get-partition-from-header");

const notFound = { code: "NotFound", message: "Entity with the specified id does not exist in the system." };

const originalRead = readDocument.default;
readDocument.default = (account, req, res, params) => {
  const collection = account.database(params.dbId).collection(params.collId);
  const header = req.headers[PARTITION_HEADER];
  if (collection.read() && header) {
    const key = parsePartitionKey(Array.isArray(header) ? header[0] : header, params.docId);
    if (!collection.document(params.docId, key).read()) {
      res.statusCode = 404;
      return notFound;
    }
  }
  return originalRead(account, req, res, params);
};

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", c => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const originalBatch = batchDocuments.default;
batchDocuments.default = async (account, req, res, params) => {
  const raw = await readBody(req);
  let body = raw;
  const header = req.headers[PARTITION_HEADER];
  try {
    const operations = JSON.parse(raw.toString());
    if (Array.isArray(operations) && header) {
      for (const op of operations) {
        if (op && op.partitionKey === undefined) op.partitionKey = header;
      }
      body = Buffer.from(JSON.stringify(operations));
    }
  } catch (_) {
    // Not JSON: let the stand-in answer it as it would.
  }
  const replay = new PassThrough();
  replay.headers = { ...req.headers, "content-length": String(body.length) };
  replay.method = req.method;
  replay.url = req.url;
  replay.end(body);
  return originalBatch(account, replay, res, params);
};

// 3. Partition-scoped queries.
const queryDocuments = require(handlers + "query-documents");
const Items = require("@vercel/cosmosdb-server/lib/account/items").default;
const queryPartition = new AsyncLocalStorage();

const originalQueryHandler = queryDocuments.default;
queryDocuments.default = (account, req, res, params) => {
  const header = req.headers[PARTITION_HEADER];
  const crossPartition = String(req.headers["x-ms-documentdb-query-enablecrosspartition"]) === "true";
  let partition;
  if (header && !crossPartition) {
    partition = parsePartitionKey(Array.isArray(header) ? header[0] : header, undefined);
  }
  return queryPartition.run(partition, () => originalQueryHandler(account, req, res, params));
};

const originalQuery = Items.prototype.query;
Items.prototype.query = function query(params, options) {
  const partition = queryPartition.getStore();
  if (partition === undefined || !this._parent.read()) return originalQuery.call(this, params, options);
  const rids = partitionIndex(this).get(partition) || [];
  const data = [];
  for (const rid of rids) data.push(this._data.get(rid).read());
  const parent = this._parent.read();
  const compositeIndexes = (parent.indexingPolicy ? parent.indexingPolicy.compositeIndexes : null) || [];
  try {
    return this._getQuery(params.query).exec(data, {
      parameters: params.parameters,
      udf: this._userDefinedFunctions(),
      maxItemCount: options.maxItemCount,
      continuation: options.continuation,
      compositeIndexes,
    });
  } catch (err) {
    err.badRequest = true;
    throw err;
  }
};

// Each container's document ids by partition, in the stand-in's own order, built at the first
// partition-scoped query and kept in step with every write after it: a query of one partition then
// reads that partition, not every document of the container (50,000 findings for a fleet of 1,000
// customers made each findings page cost tens of milliseconds of the stand-in's CPU, which the
// 50-user load test shares with the app on two cores).
function partitionIndex(items) {
  if (!items._byPartition) {
    const index = new Map();
    for (const [rid, item] of items._data) indexed(index, items._getPartition(item.read())).add(rid);
    items._byPartition = index;
  }
  return items._byPartition;
}

function indexed(index, partition) {
  let rids = index.get(partition);
  if (!rids) index.set(partition, (rids = new Set()));
  return rids;
}

const originalSet = Items.prototype._set;
Items.prototype._set = function set(data) {
  const stored = originalSet.call(this, data);
  if (this._byPartition) indexed(this._byPartition, this._getPartition(data)).add(data._rid);
  return stored;
};

const originalDelete = Items.prototype.delete;
Items.prototype.delete = function remove(idOrRid, partition) {
  const doc = this._item("/id", idOrRid, partition).read();
  originalDelete.call(this, idOrRid, partition);
  if (this._byPartition && doc) {
    const rids = this._byPartition.get(this._getPartition(doc));
    if (rids) rids.delete(doc._rid);
  }
};

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

// 4. Durability. The stand-in makes its one account when it starts listening; capture it.
const dataFile = arg("data", null);
const accountModule = require("@vercel/cosmosdb-server/lib/account");
const BaseAccount = accountModule.default;
let liveAccount = null;
accountModule.default = class DurableAccount extends BaseAccount {
  constructor(host, port) {
    super(host, port);
    liveAccount = this;
    if (dataFile && fs.existsSync(dataFile)) load(this, JSON.parse(fs.readFileSync(dataFile, "utf8")));
  }
};

function dump(account) {
  const databases = [];
  for (const database of account.databases._data.values()) {
    const collections = [];
    for (const collection of database.collections._data.values()) {
      collections.push({
        data: collection.read(),
        ridCount: collection.documents._ridCount,
        documents: [...collection.documents._data.values()].map(document => document.read()),
      });
    }
    databases.push({ data: database.read(), ridCount: database.collections._ridCount, collections });
  }
  return { ridCount: account.databases._ridCount, databases, permissions: permissions.dump() };
}

function load(account, saved) {
  permissions.load(saved.permissions);
  account.databases._ridCount = saved.ridCount;
  for (const db of saved.databases) {
    account.databases._set(db.data);
    const database = account.database(db.data.id);
    database.collections._ridCount = db.ridCount;
    for (const coll of db.collections) {
      database.collections._set(coll.data);
      const collection = database.collection(coll.data.id);
      collection.documents._ridCount = coll.ridCount;
      for (const document of coll.documents) collection.documents._set(document);
    }
  }
}

function save() {
  if (!dataFile || !liveAccount) return;
  const partial = `${dataFile}.partial`;
  fs.writeFileSync(partial, JSON.stringify(dump(liveAccount)));
  fs.renameSync(partial, dataFile); // a crash mid-write leaves the previous file whole
}

permissions.install(require("@vercel/cosmosdb-server/lib/routes"));
const { createHttpsServer } = require("@vercel/cosmosdb-server");

const server = createHttpsServer({
  cert: fs.readFileSync(arg("cert")),
  key: fs.readFileSync(arg("key")),
  keepAlive: true,
});
server.keepAliveTimeout = 60000;
server.listen(Number(arg("port", "0")), arg("host", "127.0.0.1"), () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

function stop() {
  save();
  server.close(() => process.exit(0));
  // Keep-alive sockets would hold close() open; end them so shutdown is prompt.
  if (server.closeAllConnections) server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
