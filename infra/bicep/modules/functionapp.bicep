// The Function App on a Flex Consumption plan (Linux, Python 3.11), with a system-assigned
// identity it uses for everything: host storage, the deployment container, Cosmos DB, Blob and
// Queue storage, Key Vault references and Application Insights (roles in roles.bicep).
//
// The runtime is set in functionAppConfig, not with FUNCTIONS_WORKER_RUNTIME or
// FUNCTIONS_EXTENSION_VERSION app settings, which Flex Consumption rejects. The app settings
// themselves are built in main.bicep (one entry per field of core.settings.Settings plus the
// host's own keys) and passed in whole, so this module adds none of its own.

@description('Azure region.')
param location string

@description('Name of the Flex Consumption plan.')
param planName string

@description('Name of the Function App (its hostname is <name>.azurewebsites.net).')
param appName string

@description('Tags for both resources.')
param tags object

@description('URL of the blob container the platform deploys the app package from.')
param deploymentContainerUrl string

@description('Upper bound on instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of each instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('App settings: name to value (strings).')
param appSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references (APP_CERTIFICATE, MAILER_CERTIFICATE) resolve with this identity.
    keyVaultReferenceIdentity: 'SystemAssigned'
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        for setting in items(appSettings): {
          name: setting.key
          value: setting.value
        }
      ]
    }
  }
}

// No publishing user names and passwords: deployments authenticate with Entra ID (the GitHub
// workflow signs in with OIDC), so basic authentication on FTP and the SCM site stays off.
resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

output id string = app.id
output name string = app.name
output location string = app.location
output defaultHostname string = app.properties.defaultHostName
output principalId string = app.identity.principalId
