// Everything the sync app runs on, in one resource group (called by ../main.bicep).
//
// Identity, not keys: one user-assigned managed identity reaches storage, Key Vault and
// Application Insights through role assignments; the storage account refuses shared keys,
// Application Insights refuses its instrumentation key, and the only secrets (SECRETS_KEY
// and the Entra client secret) live in Key Vault, referenced from the app settings.
// A user-assigned identity (not system-assigned) exists before the app does, so its roles
// are in place by the time the app first starts and resolves its Key Vault references.

param location string
param tags object
param resourceToken string
param principalId string = ''
// Required: the app cannot store a secret without it, and its Key Vault reference must resolve.
@secure()
@minLength(44)
param secretsKey string
param entraClientId string = ''
@secure()
param entraClientSecret string = ''
param publicBaseUrl string = ''
param azureDevOpsBaseUrl string = 'https://dev.azure.com'
param convisoApiUrl string = 'https://api.convisoappsec.com/graphql'
// Flex Consumption: "The lowest maximum scale is currently 40. The highest currently supported
// value is 1000." (MicrosoftDocs azure-docs, azure-functions/flex-consumption-plan.md, Considerations)
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

// The app's state, exactly as sync_core/adapters/state names it: tables are `sync<name>`
// (store.py), queues the three work queues and the `-poison` queues the Functions host fills
// after five failed attempts (queues.py). tests/infra checks these lists against the code.
var tableNames = [
  'syncintegrations'
  'synclinks'
  'syncevents'
  'syncdeliveries'
  'syncwatermarks'
  'syncleases'
  'syncoauth'
  'syncrefused'
]
var queueNames = [
  'conviso-to-boards'
  'conviso-to-boards-poison'
  'boards-to-conviso'
  'boards-to-conviso-poison'
  'reconcile-runs'
  'reconcile-runs-poison'
]

var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'
var baseUrl = empty(publicBaseUrl) ? 'https://${functionAppName}.azurewebsites.net' : publicBaseUrl
var oauthRedirectUri = '${baseUrl}/api/oauth/callback'
var secretsKeySecretName = 'secrets-key'
var entraSecretName = 'entra-client-secret'

// Built-in role definition ids (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

// ---------------------------------------------------------------------- identity

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${resourceToken}'
  location: location
  tags: tags
}

// ----------------------------------------------------------------------- storage

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_206:Locally redundant storage is deliberate: the tables hold sync state that reconcile (R13) rebuilds from Conviso; choose Standard_ZRS/GRS per your policy.
  // checkov:skip=CKV_AZURE_43:The name is 'st' + uniqueString() (15 lowercase letters and digits), which checkov cannot evaluate.
  // checkov:skip=CKV_AZURE_59:Flex Consumption without a virtual network reaches its storage over the public endpoint; access needs Entra ID (shared keys are disabled), not a network position.
  // checkov:skip=CKV_AZURE_35:Same reason: a deny-by-default firewall needs VNet integration and private endpoints, which this template leaves to deployments that have a network.
  name: 'st${resourceToken}'
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

// Child resources at the top level with `parent:` (a loop inside a nested child is newer
// Bicep syntax than checkov's parser reads).
resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource stateTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for name in tableNames: {
    parent: tableService
    name: name
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource workQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for name in queueNames: {
    parent: queueService
    name: name
  }
]

// -------------------------------------------------------------------- monitoring

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${resourceToken}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
    features: { disableLocalAuth: true }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${resourceToken}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    // Telemetry is accepted only with an Entra token of the app's identity, not the key.
    DisableLocalAuth: true
  }
}

// --------------------------------------------------------------------- Key Vault

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109:The app reads its references over the public endpoint (Flex Consumption without a VNet); access is Entra ID RBAC only, no access policies.
  // checkov:skip=CKV_AZURE_189:Same reason as CKV_AZURE_109: disabling public access needs VNet integration and a private endpoint.
  name: 'kv-${resourceToken}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

// SECRETS_KEY rotates by adding a key in front (comma-separated: the first encrypts, all
// decrypt), so the secret carries no expiry date of its own. Always created (secretsKey is
// required), so the app setting's Key Vault reference always resolves.
resource secretsKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41:Rotation is explicit (docs/operations.md): the key list keeps old keys readable, so a fixed expiry would only break decryption.
  parent: vault
  name: secretsKeySecretName
  properties: {
    value: secretsKey
    contentType: 'text/plain; Fernet key list'
  }
}

resource entraSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(entraClientSecret)) {
  // checkov:skip=CKV_AZURE_114:contentType is set below; checkov does not read the properties of a conditional (if) resource.
  // checkov:skip=CKV_AZURE_41:The expiry is set on the app registration's client secret in Entra ID; this copy follows it when rotated (docs/operations.md).
  parent: vault
  name: entraSecretName
  properties: {
    value: entraClientSecret
    contentType: 'text/plain'
  }
}

// ------------------------------------------------------------------ function app

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225:Zone redundancy on Flex Consumption exists only in some regions and is opt-in; add zoneRedundant: true where your region offers it.
  name: 'plan-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

var storageIdentitySettings = [
  // The Functions host's own storage (keys, timers' leases, deployment), by identity.
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identity.properties.clientId }
  { name: 'AzureWebJobsStorage__blobServiceUri', value: storage.properties.primaryEndpoints.blob }
  { name: 'AzureWebJobsStorage__queueServiceUri', value: storage.properties.primaryEndpoints.queue }
  { name: 'AzureWebJobsStorage__tableServiceUri', value: storage.properties.primaryEndpoints.table }
  // The app's state and the queue triggers' connection (connection="SYNC_STORAGE").
  { name: 'SYNC_STORAGE__credential', value: 'managedidentity' }
  { name: 'SYNC_STORAGE__clientId', value: identity.properties.clientId }
  { name: 'SYNC_STORAGE__queueServiceUri', value: storage.properties.primaryEndpoints.queue }
  { name: 'SYNC_STORAGE__tableServiceUri', value: storage.properties.primaryEndpoints.table }
]

var appSettings = [
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${identity.properties.clientId};Authorization=AAD'
  }
  // DefaultAzureCredential picks the user-assigned identity (auth.mode service_principal).
  { name: 'AZURE_CLIENT_ID', value: identity.properties.clientId }
  {
    name: 'SECRETS_KEY'
    value: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${secretsKeySecretName})'
  }
  { name: 'AZURE_DEVOPS_BASE_URL', value: azureDevOpsBaseUrl }
  { name: 'CONVISO_API_URL', value: convisoApiUrl }
  { name: 'PUBLIC_BASE_URL', value: baseUrl }
  { name: 'ENTRA_CLIENT_ID', value: entraClientId }
  { name: 'ENTRA_AUTHORITY', value: '${environment().authentication.loginEndpoint}${tenant().tenantId}' }
  { name: 'OAUTH_REDIRECT_URI', value: oauthRedirectUri }
]

// Set under exactly the condition the secret is created on: a reference to a secret that does
// not exist leaves the app reading the literal '@Microsoft.KeyVault(...)' text as the secret.
// Without it the app reports "OAuth with Entra ID is not configured: set ENTRA_CLIENT_SECRET".
// (Written `empty(…) ? [] : […]`: pycep, which tests/infra and checkov parse with, reads
// `!a ? b : c` as `!(a ? b : c)`.)
var entraSecretSettings = empty(entraClientSecret) ? [] : [
  {
    name: 'ENTRA_CLIENT_SECRET'
    value: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${entraSecretName})'
  }
]

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_17:Client certificates would break both webhooks: Conviso signs its events (HMAC) and Azure DevOps service hooks send a token or Basic auth, neither a certificate.
  // checkov:skip=CKV_AZURE_222:Public network access is how Conviso and Azure DevOps reach the webhooks (each route authenticates its caller).
  // checkov:skip=CKV_AZURE_213:App Service health check replaces instances of a dedicated plan; Flex Consumption manages its instances itself. GET /api/health (anonymous) serves external availability tests.
  // checkov:skip=CKV_AZURE_78:Flex Consumption has no FTP and refuses siteConfig.ftpsState (ARM error 51021); FTP and SCM basic publishing credentials are disabled by the basicPublishingCredentialsPolicies below.
  // checkov:skip=CKV_AZURE_212:Flex Consumption scales out on demand (up to maximumInstanceCount); always-ready instances cost money while idle, and webhooks that enqueue and answer 202 do not need a warm spare.
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identity.id
    // No ftpsState: Flex Consumption has no FTP(S) ("FTPS not supported", deprecated on Flex
    // per MicrosoftDocs flex-consumption-plan.md) and regions that enforce it refuse the whole
    // deployment with ARM error 51021 (microsoft/azure-pipelines-tasks#21032). FTP and SCM basic
    // publishing credentials are switched off below instead.
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: concat(storageIdentitySettings, appSettings, entraSecretSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.id
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: 2048
      }
      runtime: { name: 'python', version: '3.11' }
    }
  }
  dependsOn: [
    blobOwner
    queueContributor
    tableContributor
    metricsPublisher
    secretsUser
  ]
}

// The Functions basic publishing credentials (FTP, SCM Basic auth) stay off: deployment
// goes through azd with an Entra token.
resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: { allow: false }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: { allow: false }
}

// ------------------------------------------------------------ role assignments

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, identity.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

// The operator who ran azd may set or rotate the secrets afterwards (docs/operations.md).
resource operatorSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(vault.id, principalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
    principalId: principalId
    principalType: 'User'
  }
}

output functionAppName string = functionApp.name
output keyVaultName string = vault.name
output storageAccountName string = storage.name
output publicBaseUrl string = baseUrl
output oauthRedirectUri string = oauthRedirectUri
