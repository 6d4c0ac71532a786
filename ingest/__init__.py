"""Ingestion: read the commune's documents, split them by structure, write a new index generation."""
