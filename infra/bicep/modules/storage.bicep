// The app's storage account: blob containers for reports and logos, the work queues and their
// poison twins, and the container Flex Consumption deploys the app package from. It is also the
// Functions host's own storage (AzureWebJobsStorage__accountName). Shared keys are off: every
// caller, the host included, authenticates with Entra ID (roles in roles.bicep), so there is no
// connection string to leak.

@description('Azure region.')
param location string

@description('Storage account name: 3-24 lowercase letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Redundancy of the account.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string

@description('Tags for the account.')
param tags object

// The defaults below are core/settings.py's defaults (tests/unit/test_bicep.py holds them equal).
@description('Blob container for PDF reports (REPORTS_CONTAINER).')
param reportsContainer string = 'reports'

@description('Blob container for MSP logos (LOGOS_CONTAINER).')
param logosContainer string = 'logos'

@description('Blob container Flex Consumption reads the deployment package from.')
param deploymentContainer string = 'app-package'

@description('Queue of scan requests (SCAN_QUEUE_NAME).')
param scanQueueName string = 'scan-requests'

@description('Queue of webhook deliveries (WEBHOOK_QUEUE_NAME).')
param webhookQueueName string = 'webhook-deliveries'

@description('Queue of email summaries (EMAIL_QUEUE_NAME).')
param emailQueueName string = 'email-summaries'

var containerNames = [
  reportsContainer
  logosContainer
  deploymentContainer
]
var workQueues = [
  scanQueueName
  webhookQueueName
  emailQueueName
]
// Each work queue has a `<name>-poison` twin: the Functions host moves a message there after
// host.json's maxDequeueCount failed attempts (the local worker does the same).
var queueNames = concat(workQueues, map(workQueues, queue => '${queue}-poison'))

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in containerNames: {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in queueNames: {
    parent: queueService
    name: queue
  }
]

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
// A module's outputs exist only once all of it is deployed, so a consumer of this URL also waits
// for the container itself (Flex Consumption needs it to exist when the app is created).
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer}'
