// Key Vault for the two app-only credentials: the multi-tenant scanner app's certificate and the
// mailer app's certificate. The operator creates (or imports) them as Key Vault *certificates*
// (infra/bicep/README.md); the secret behind a certificate holds its PEM or base64 PKCS#12, and
// the Function App reads it through Key Vault references (APP_CERTIFICATE, MAILER_CERTIFICATE),
// resolved by the platform with the app's identity ("Key Vault Secrets User", roles.bicep).
//
// Access is by Azure RBAC only (no access policies). Soft delete and purge protection are on: a
// deleted vault or certificate stays recoverable for 90 days and cannot be purged early.
//
// Public network access is allowed on purpose: a Flex Consumption app without virtual network
// integration resolves Key Vault references over the public endpoint, and App Service is not
// one of Key Vault's "trusted services" that a firewall exception would let through. Every
// request still needs an Entra ID token with a data-plane role on this vault. To close the
// endpoint, add VNet integration and a private endpoint first, then set defaultAction to Deny.

@description('Azure region.')
param location string

@description('Vault name: 3-24 letters, digits and hyphens, globally unique.')
@minLength(3)
@maxLength(24)
param name string

@description('Tags for the vault.')
param tags object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    accessPolicies: []
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
