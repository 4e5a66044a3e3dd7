"""The Elasticsearch search engine: records and chunks in versioned indices behind aliases."""
