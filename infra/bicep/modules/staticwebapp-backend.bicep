// Links the Function App to the Static Web App as its /api backend: the site proxies
// https://<site>/api/... to https://<app>.azurewebsites.net/api/... (the app's routes keep the
// /api prefix: host.json sets routePrefix to "" and FastAPI mounts its routers under /api).
// A separate module because the Function App's settings need the site's hostname (see
// staticwebapp.bicep), so the link can only be made once both exist.

@description('Name of the existing Static Web App.')
param staticWebAppName string

@description('Resource id of the Function App to link.')
param backendResourceId string

@description('Region of the Function App.')
param backendRegion string

resource site 'Microsoft.Web/staticSites@2024-04-01' existing = {
  name: staticWebAppName
}

resource backend 'Microsoft.Web/staticSites/linkedBackends@2024-04-01' = {
  parent: site
  name: 'functionapp'
  properties: {
    backendResourceId: backendResourceId
    region: backendRegion
  }
}

output backendName string = backend.name
