// Entry point for `azd up`: one resource group and everything the sync app needs in it.
//
// Raw resources only (no `br/public:` registry modules), so the files parse and are checked
// offline by tests/infra. The resources themselves are in app/resources.bicep.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names and tags derive from it.')
param environmentName string

@minLength(1)
@description('Azure region of every resource.')
param location string

@description('Object id of the person running azd (may read and set Key Vault secrets). Empty: none.')
param principalId string = ''

@secure()
@minLength(44)
@description('SECRETS_KEY: a Fernet key (32 random bytes, URL-safe base64) or a comma-separated list of them. The azd preprovision hook makes one.')
param secretsKey string

@description('Client (application) id of the Entra ID app registration for auth.mode oauth. Empty: OAuth off.')
param entraClientId string = ''

@secure()
@description('Client secret of that app registration; stored in Key Vault, never in app settings.')
param entraClientSecret string = ''

@description('Public https base URL of the app; empty: https://<function app>.azurewebsites.net.')
param publicBaseUrl string = ''

@description('Azure DevOps base URL (another one only for tests against an emulator).')
param azureDevOpsBaseUrl string = 'https://dev.azure.com'

@description('Conviso Platform GraphQL endpoint.')
param convisoApiUrl string = 'https://api.convisoappsec.com/graphql'

// Flex Consumption: "The lowest maximum scale is currently 40. The highest currently supported
// value is 1000." (MicrosoftDocs azure-docs, azure-functions/flex-consumption-plan.md, Considerations)
@minValue(40)
@maxValue(1000)
@description('Upper bound of Flex Consumption instances (Flex allows 40 to 1000).')
param maximumInstanceCount int = 40

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'app/resources.bicep' = {
  name: 'resources'
  scope: rg
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    principalId: principalId
    secretsKey: secretsKey
    entraClientId: entraClientId
    entraClientSecret: entraClientSecret
    publicBaseUrl: publicBaseUrl
    azureDevOpsBaseUrl: azureDevOpsBaseUrl
    convisoApiUrl: convisoApiUrl
    maximumInstanceCount: maximumInstanceCount
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = resources.outputs.functionAppName
output AZURE_KEY_VAULT_NAME string = resources.outputs.keyVaultName
output AZURE_STORAGE_ACCOUNT_NAME string = resources.outputs.storageAccountName
output PUBLIC_BASE_URL string = resources.outputs.publicBaseUrl
output OAUTH_REDIRECT_URI string = resources.outputs.oauthRedirectUri
