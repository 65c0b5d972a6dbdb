"""The docs MCP server: ingest documents into a cited, searchable index (BM25 + optional dense)."""
