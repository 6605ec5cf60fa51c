// ScanPosture in one resource group of the customer's own subscription:
//   monitoring  Log Analytics + Application Insights (Entra ID-only ingestion)
//   storage     blob containers, queues, host storage and the Flex deployment container
//   cosmos      Cosmos DB for NoSQL, serverless; its primary key only in Key Vault, for the
//               resource-token broker (docs/deploy.md, "Isolation by the database")
//   keyvault    the scanner and mailer apps' certificates and the Cosmos broker key (references)
//   staticwebapp the portal (Standard), then functionapp (Flex Consumption, Python 3.11),
//   roles       the Function App identity's permissions, and
//   staticwebapp-backend, which links the app to the site as its /api backend.
// Parameters are documented in infra/bicep/README.md; main.parameters.json names every one.

targetScope = 'resourceGroup'

// ---- Placement and naming ----

@description('Region of every resource except the Static Web App. Must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Region of the Static Web App (the service is offered in a few regions only).')
@allowed([
  'westus2'
  'centralus'
  'eastus2'
  'westeurope'
  'eastasia'
])
param staticWebAppLocation string = 'westeurope'

@description('Short prefix of every resource name: lowercase letters, digits and single hyphens.')
@minLength(2)
@maxLength(12)
param namePrefix string = 'scanposture'

@description('Tags put on every resource.')
param tags object = {}

// ---- Sizing ----

@description('Upper bound on Function App instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of each Function App instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Redundancy of the storage account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSku string = 'Standard_LRS'

@description('Days Log Analytics keeps telemetry.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Blob container the Flex Consumption plan deploys the app package from.')
param deploymentContainerName string = 'app-package'

// ---- The app registrations (ids, never secrets) ----

@description('Client id of the multi-tenant scanner app registration (APP_CLIENT_ID).')
param appClientId string

@description('Application (client) id, or api:// URI, of the API app registration (AUTH_AUDIENCE).')
param authAudience string

@description('Name of the Key Vault certificate holding the scanner app\'s credential (APP_CERTIFICATE).')
param appCertificateName string = 'scanner-app'

@description('The MSP\'s own tenant id, where the mailer app lives (MAILER_TENANT_ID). Empty: no mail.')
param mailerTenantId string = ''

@description('Client id of the mailer app registration (MAILER_CLIENT_ID). Empty: no mail.')
param mailerClientId string = ''

@description('Name of the Key Vault certificate holding the mailer app\'s credential (MAILER_CERTIFICATE).')
param mailerCertificateName string = 'mailer-app'

@description('Mailbox (UPN) the summaries are sent from (MAIL_SENDER).')
param mailSender string = ''

// ---- App settings whose defaults are core/settings.py's (tests/unit/test_bicep.py checks) ----

@description('Cosmos DB database name (COSMOS_DATABASE).')
param cosmosDatabase string = 'scanposture'

@description('Validity of a customer principal\'s Cosmos resource token, in seconds (RESOURCE_TOKEN_SECONDS; 10 to 18000).')
@minValue(10)
@maxValue(18000)
param resourceTokenSeconds int = 3600

@description('Queue of scan requests (SCAN_QUEUE_NAME).')
param scanQueueName string = 'scan-requests'

@description('Queue of webhook deliveries (WEBHOOK_QUEUE_NAME).')
param webhookQueueName string = 'webhook-deliveries'

@description('Queue of email summaries (EMAIL_QUEUE_NAME).')
param emailQueueName string = 'email-summaries'

@description('Blob container for PDF reports (REPORTS_CONTAINER).')
param reportsContainer string = 'reports'

@description('Blob container for MSP logos (LOGOS_CONTAINER).')
param logosContainer string = 'logos'

@description('Minutes a report download link stays valid (REPORT_LINK_MINUTES).')
@minValue(1)
@maxValue(60)
param reportLinkMinutes int = 15

@description('Tries after a failed Blob or Queue call (1, 3 and 5 s apart) before the call fails.')
@minValue(0)
@maxValue(10)
param storageRetryTotal int = 3

// Microsoft 365 and Entra ID endpoints of the public cloud, as in core/settings.py. The linter's
// no-hardcoded-env-urls rule is meant for Azure management endpoints, so it is silenced per line.
@description('Microsoft Graph base URL (GRAPH_BASE_URL).')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('Exchange Online admin API base URL (EXCHANGE_BASE_URL).')
param exchangeBaseUrl string = 'https://outlook.office365.com'

@description('Security & Compliance admin API base URL (COMPLIANCE_BASE_URL).')
param complianceBaseUrl string = 'https://ps.compliance.protection.outlook.com'

@description('SharePoint admin API URL; {tenant} is the initial domain prefix (SHAREPOINT_ADMIN_URL).')
param sharepointAdminUrl string = 'https://{tenant}-admin.sharepoint.com'
@description('Teams admin API base URL (TEAMS_BASE_URL).')
param teamsBaseUrl string = 'https://api.interfaces.records.teams.microsoft.com'

@description('Entra ID authority host for app-only tokens (AUTHORITY_HOST).')
#disable-next-line no-hardcoded-env-urls
param authorityHost string = 'https://login.microsoftonline.com'

@description('Comma-separated ip[:port] DNS resolvers for SPF/DMARC/DKIM and webhook hosts; empty = system (DNS_NAMESERVERS).')
param dnsNameservers string = ''

@description('Graph requests in flight per tenant scan (SCAN_REQUEST_CONCURRENCY).')
@minValue(1)
@maxValue(64)
param scanRequestConcurrency int = 8

@description('JWKS URL the API validates sign-in tokens against (AUTH_JWKS_URL).')
#disable-next-line no-hardcoded-env-urls
param authJwksUrl string = 'https://login.microsoftonline.com/common/discovery/v2.0/keys'

@description('Expected token issuer, {tid} standing for the token\'s tenant (AUTH_ISSUER_TEMPLATE).')
#disable-next-line no-hardcoded-env-urls
param authIssuerTemplate string = 'https://login.microsoftonline.com/{tid}/v2.0'

@description('Largest report attached to a summary mail; above it, a link (MAIL_ATTACHMENT_LIMIT_BYTES).')
@minValue(1)
param mailAttachmentLimitBytes int = 3000000

@description('Days an admin-consent link stays valid (CONSENT_LINK_DAYS).')
@minValue(1)
@maxValue(30)
param consentLinkDays int = 7

@description('Days an invitation stays valid (INVITATION_DAYS).')
@minValue(1)
@maxValue(30)
param invitationDays int = 7

@description('Seconds the health check waits for each dependency (HEALTH_TIMEOUT_SECONDS).')
@minValue(1)
param healthTimeoutSeconds int = 3

// ---- Names ----

var prefix = toLower(namePrefix)
var token = uniqueString(resourceGroup().id, prefix)
var names = {
  workspace: 'log-${prefix}-${token}'
  appInsights: 'appi-${prefix}-${token}'
  storage: take('st${replace(prefix, '-', '')}${token}', 24)
  cosmos: 'cosmos-${prefix}-${token}'
  keyVault: take('kv-${prefix}-${token}', 24)
  plan: 'plan-${prefix}-${token}'
  functionApp: 'func-${prefix}-${token}'
  staticWebApp: 'swa-${prefix}-${token}'
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionDays
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: names.storage
    skuName: storageSku
    tags: tags
    reportsContainer: reportsContainer
    logosContainer: logosContainer
    deploymentContainer: deploymentContainerName
    scanQueueName: scanQueueName
    webhookQueueName: webhookQueueName
    emailQueueName: emailQueueName
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  params: {
    location: location
    accountName: names.cosmos
    databaseName: cosmosDatabase
    tags: tags
    keyVaultName: keyVault.outputs.name
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: names.keyVault
    tags: tags
  }
}

module staticWebApp 'modules/staticwebapp.bicep' = {
  name: 'staticwebapp'
  params: {
    location: staticWebAppLocation
    name: names.staticWebApp
    tags: tags
  }
}

// Certificates are Key Vault certificates; the secret of the same name holds the PEM or base64
// PKCS#12 the code accepts. The mailer's reference is set only when a mailer app is configured:
// an unresolvable reference would reach the app as its literal text.
var appCertificateReference = '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${appCertificateName})'
var cosmosBrokerKeyReference = '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${cosmos.outputs.brokerKeySecretName})'
var mailerCertificateReference = '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${mailerCertificateName})'

// The Function App's app settings: the Functions host's own keys, then exactly one entry per field
// of core.settings.Settings, named in upper case, in the model's order. Local-only fields are
// empty here. STORAGE_CONNECTION is the one exception: the queue triggers name it as their
// connection, so in Azure it is the identity-based pair STORAGE_CONNECTION__blobServiceUri and
// STORAGE_CONNECTION__queueServiceUri instead of a connection string.
// tests/unit/test_bicep.py keeps these names, the settings model and local.settings.example.json
// in step. Write one `NAME: value` per line.
var appSettings = {
  AzureWebJobsStorage__accountName: storage.outputs.name
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  ENVIRONMENT: 'azure'
  COSMOS_ENDPOINT: cosmos.outputs.endpoint
  COSMOS_KEY: ''
  COSMOS_DATABASE: cosmosDatabase
  CUSTOMER_RESOURCE_TOKENS: 'true'
  COSMOS_BROKER_KEY: cosmosBrokerKeyReference
  RESOURCE_TOKEN_SECONDS: string(resourceTokenSeconds)
  COSMOS_CA_CERT: ''
  STORAGE_CONNECTION__blobServiceUri: storage.outputs.blobEndpoint
  STORAGE_CONNECTION__queueServiceUri: storage.outputs.queueEndpoint
  STORAGE_BLOB_URL: storage.outputs.blobEndpoint
  STORAGE_QUEUE_URL: storage.outputs.queueEndpoint
  SCAN_QUEUE_NAME: scanQueueName
  WEBHOOK_QUEUE_NAME: webhookQueueName
  EMAIL_QUEUE_NAME: emailQueueName
  WEBHOOKS_ALLOW_LOOPBACK: 'false'
  REPORTS_CONTAINER: reportsContainer
  LOGOS_CONTAINER: logosContainer
  REPORT_LINK_MINUTES: string(reportLinkMinutes)
  STORAGE_RETRY_TOTAL: string(storageRetryTotal)
  GRAPH_BASE_URL: graphBaseUrl
  EXCHANGE_BASE_URL: exchangeBaseUrl
  COMPLIANCE_BASE_URL: complianceBaseUrl
  SHAREPOINT_ADMIN_URL: sharepointAdminUrl
  TEAMS_BASE_URL: teamsBaseUrl
  AUTHORITY_HOST: authorityHost
  AUTHORITY_BROWSER_HOST: ''
  GRAPH_CA_CERT: ''
  APP_CLIENT_ID: appClientId
  APP_CLIENT_SECRET: ''
  APP_CERTIFICATE: appCertificateReference
  APP_CERTIFICATE_PATH: ''
  DNS_NAMESERVERS: dnsNameservers
  SCAN_REQUEST_CONCURRENCY: string(scanRequestConcurrency)
  AUTH_AUDIENCE: authAudience
  AUTH_JWKS_URL: authJwksUrl
  AUTH_ISSUER_TEMPLATE: authIssuerTemplate
  SIGNIN_URL: ''
  MAILER_TENANT_ID: mailerTenantId
  MAILER_CLIENT_ID: mailerClientId
  MAILER_CLIENT_SECRET: ''
  MAILER_CERTIFICATE: empty(mailerClientId) ? '' : mailerCertificateReference
  MAILER_CERTIFICATE_PATH: ''
  MAIL_SENDER: mailSender
  MAIL_ATTACHMENT_LIMIT_BYTES: string(mailAttachmentLimitBytes)
  CONSENT_LINK_DAYS: string(consentLinkDays)
  INVITATION_DAYS: string(invitationDays)
  PUBLIC_BASE_URL: 'https://${staticWebApp.outputs.defaultHostname}'
  HEALTH_TIMEOUT_SECONDS: string(healthTimeoutSeconds)
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    planName: names.plan
    appName: names.functionApp
    tags: tags
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSettings: appSettings
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    principalId: functionApp.outputs.principalId
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultName: keyVault.outputs.name
    cosmosAccountName: cosmos.outputs.accountName
  }
}

module staticWebAppBackend 'modules/staticwebapp-backend.bicep' = {
  name: 'staticwebapp-backend'
  params: {
    staticWebAppName: staticWebApp.outputs.name
    backendResourceId: functionApp.outputs.id
    backendRegion: functionApp.outputs.location
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppHostname string = functionApp.outputs.defaultHostname
output functionAppPrincipalId string = functionApp.outputs.principalId
output staticWebAppName string = staticWebApp.outputs.name
output publicBaseUrl string = 'https://${staticWebApp.outputs.defaultHostname}'
output keyVaultName string = keyVault.outputs.name
output cosmosEndpoint string = cosmos.outputs.endpoint
output storageAccountName string = storage.outputs.name
