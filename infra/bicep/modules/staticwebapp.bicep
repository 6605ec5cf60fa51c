// The Static Web App that serves portal/ (Standard: linking a Function App as the /api backend
// needs it). The link itself is staticwebapp-backend.bicep: the Function App's PUBLIC_BASE_URL is
// this site's address, so the site must exist before the app, and the link after it.
// portal/staticwebapp.config.json carries the routes and security headers; the workflow uploads
// portal/ with the site's deployment token (no build step).

@description('Region of the Static Web App (offered in a few regions only).')
param location string

@description('Name of the Static Web App.')
param name string

@description('Tags for the site.')
param tags object

resource site 'Microsoft.Web/staticSites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    // Linked backends do not apply to pull-request environments, so none are made.
    stagingEnvironmentPolicy: 'Disabled'
    allowConfigFileUpdates: true
  }
}

output name string = site.name
output defaultHostname string = site.properties.defaultHostname
