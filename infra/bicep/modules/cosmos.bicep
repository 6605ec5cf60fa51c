// Azure Cosmos DB for NoSQL, serverless: one database and the three containers of
// core/store/cosmos.py. The app signs in with its managed identity and the "Cosmos DB Built-in
// Data Contributor" data-plane role (roles.bicep). Keys are on (disableLocalAuth: false) for one
// reason only: customer principals reach their data through resource tokens, which Cosmos mints
// from permissions that, as we read the documentation, only key-signed requests may manage, and
// local auth disabled leaves Entra ID alone (https://learn.microsoft.com/en-us/rest/api/cosmos-db/permissions;
// https://learn.microsoft.com/en-us/azure/cosmos-db/nosql/how-to-disable-key-based-authentication).
// The primary key is written to Key Vault here and nowhere else; the app reads it through a Key
// Vault reference (COSMOS_BROKER_KEY), used only by core/store/resource_tokens.py. The trade-off
// is in docs/deploy.md. With
// disableKeyBasedMetadataWriteAccess the databases and containers change only through ARM, i.e.
// this template; the app never creates them in Azure (core.bootstrap.prepare_local_resources is
// local only).
//
// Indexing. Every query (core/store/repository.py and its callers) filters with equality or
// range on small scalar paths (type, the partition key, role, enabled, endpointId, customerId,
// day, connection.state, status, severity, category, change, frameworks.cis|scuba,
// acceptance.expiresAt) and orders by a single path (`c.severityRank`, `c.startedAt DESC`). A
// single-path ORDER BY is served by the range index that `/*` includes, so no composite index is
// needed (the local stand-in, devtools/cosmos/server.js, honours the same compositeIndexes list:
// none). Excluded are bodies no query filters or sorts on:
//   orgs:    /summary/trend/*   the customer's score points for the portal's chart
//            /summary/failing/* the customer's failing checks, read whole with the customer
//   relationships: /results/*   a scan's per-check results (cut from scan history pages)
//                  /evidence/*  a finding's evidence, shown on the finding's detail page
// `tenants` holds only people's principal documents (by home tenant); tenant-level data lives in
// `relationships`, keyed by the relationship (one org managing one tenant), never the tenant id.
// Filtering on an excluded path would fail or scan: before filtering on one of these in a query,
// move it back into the index here.

@description('Azure region (serverless accounts have exactly one).')
param location string

@description('Account name: 3-44 lowercase letters, digits and hyphens, globally unique.')
@minLength(3)
@maxLength(44)
param accountName string

@description('Database name (COSMOS_DATABASE).')
param databaseName string = 'scanposture'

@description('Tags for the account.')
param tags object

@description('Key Vault that receives the primary key, the resource-token broker\'s only copy.')
param keyVaultName string

@description('Name of the Key Vault secret holding the primary key (COSMOS_BROKER_KEY\'s reference).')
param brokerKeySecretName string = 'cosmos-broker-key'

var containers = [
  {
    name: 'orgs'
    partitionKey: '/orgId'
    excludedPaths: [
      {
        path: '/"_etag"/?'
      }
      {
        path: '/summary/trend/*'
      }
      {
        path: '/summary/failing/*'
      }
    ]
  }
  {
    name: 'tenants'
    partitionKey: '/tenantId'
    excludedPaths: [
      {
        path: '/"_etag"/?'
      }
    ]
  }
  {
    name: 'relationships'
    partitionKey: '/relationshipId'
    excludedPaths: [
      {
        path: '/"_etag"/?'
      }
      {
        path: '/results/*'
      }
      {
        path: '/evidence/*'
      }
    ]
  }
]

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    capabilities: [
      {
        name: 'EnableServerless'
      }
    ]
    disableLocalAuth: false
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [
  for container in containers: {
    parent: database
    name: container.name
    properties: {
      resource: {
        id: container.name
        partitionKey: {
          paths: [
            container.partitionKey
          ]
          kind: 'Hash'
          version: 2
        }
        indexingPolicy: {
          indexingMode: 'consistent'
          automatic: true
          includedPaths: [
            {
              path: '/*'
            }
          ]
          excludedPaths: container.excludedPaths
          compositeIndexes: []
        }
      }
    }
  }
]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

// The value never leaves ARM: no output carries it, and the app sees it only by reference.
resource brokerKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: brokerKeySecretName
  properties: {
    value: account.listKeys().primaryMasterKey
    contentType: 'Cosmos DB primary key for the resource-token broker'
  }
}

output accountName string = account.name
output brokerKeySecretName string = brokerKey.name
output endpoint string = account.properties.documentEndpoint
