"""Adapters: the thin layer that talks to Azure DevOps, Conviso, storage and identity."""
