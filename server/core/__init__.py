"""The core: configuration, index, retrieval, drafting. Imports nothing from the web layer, ingest or eval."""
