"""The browser pages: login, session list and the session page, server-rendered over the same read models as the API."""
