// Telemetry: a Log Analytics workspace and the workspace-based Application Insights resource the
// Functions host writes to. Local (instrumentation-key) authentication is off, so only telemetry
// signed by an Entra ID identity is accepted: the Function App's identity publishes with the
// "Monitoring Metrics Publisher" role (roles.bicep) and APPLICATIONINSIGHTS_AUTHENTICATION_STRING.

@description('Azure region of both resources.')
param location string

@description('Name of the Log Analytics workspace.')
param workspaceName string

@description('Name of the Application Insights resource.')
param appInsightsName string

@description('Days the workspace keeps data (30 is included in the per-GB price).')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('Tags for every resource.')
param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

output appInsightsName string = appInsights.name
// Not a credential: with local authentication disabled it only says where telemetry goes.
output connectionString string = appInsights.properties.ConnectionString
