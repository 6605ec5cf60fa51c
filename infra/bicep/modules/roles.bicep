// Every permission the Function App's system-assigned identity holds, in one place, each scoped
// to the one resource it is for (never the resource group or subscription). A separate module
// because the identity exists only once the Function App does, while the app's settings need the
// other resources' endpoints first.

@description('Object (principal) id of the Function App\'s system-assigned identity.')
param principalId string

@description('Name of the storage account (storage.bicep).')
param storageAccountName string

@description('Name of the Application Insights resource (monitoring.bicep).')
param appInsightsName string

@description('Name of the Key Vault (keyvault.bicep).')
param keyVaultName string

@description('Name of the Cosmos DB account (cosmos.bicep).')
param cosmosAccountName string

// Built-in Azure role definition ids (the same in every tenant).
var roleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User
}
// Cosmos DB data-plane role: "Cosmos DB Built-in Data Contributor".
var cosmosDataContributorId = '00000000-0000-0000-0000-000000000002'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' existing = {
  name: cosmosAccountName
}

resource cosmosDataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions@2024-05-15' existing = {
  parent: cosmos
  name: cosmosDataContributorId
}

// Storage Blob Data Owner on the account. WHY: the Functions host uses this account as its own
// storage through identity (AzureWebJobsStorage__accountName) and needs Owner for its blob
// leases and containers (timer singletons, host keys); Flex Consumption reads the app package
// from the deployment container with this identity; the app writes and reads reports and logos
// and signs report links with a user-delegation key (core/store/blobs.py), whose
// generateUserDelegationKey action Owner includes, so no separate "Storage Blob Delegator".
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Storage Queue Data Contributor on the account. WHY: the queue triggers (functions/queues.py,
// connection STORAGE_CONNECTION__queueServiceUri) read and delete messages and move failed ones
// to the poison queues; the app sends scan requests, webhook deliveries and email summaries.
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, principalId, roleIds.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Monitoring Metrics Publisher on Application Insights. WHY: local authentication is disabled
// there, so the host's telemetry is accepted only when signed by this identity
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING = 'Authorization=AAD'). Despite the name it covers
// all telemetry, not only metrics.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, roleIds.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Key Vault Secrets User on the vault. WHY: the platform resolves the Key Vault references in
// APP_CERTIFICATE and MAILER_CERTIFICATE with this identity, reading the secret behind each
// certificate. Read-only: it cannot create, change or delete secrets, keys or certificates.
resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, roleIds.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Cosmos DB Built-in Data Contributor on the account (a Cosmos data-plane role, not Azure RBAC).
// WHY: the app reads, queries and writes items in both containers with its identity
// (DefaultAzureCredential in core/store/cosmos.py; keys are disabled). It cannot create or
// delete databases or containers: those stay with this template.
resource cosmosData 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = {
  parent: cosmos
  name: guid(cosmos.id, principalId, cosmosDataContributorId)
  properties: {
    roleDefinitionId: cosmosDataContributor.id
    principalId: principalId
    scope: cosmos.id
  }
}
