"""Auth: Entra ID (MSAL against the local emulator), service principals, check connection."""
