"""Users, rights and API keys. Every read is scoped to the caller's organisations."""
