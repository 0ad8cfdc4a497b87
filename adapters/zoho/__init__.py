"""The Zoho CRM adapter (REST API v8, OAuth refresh-token flow)."""
