"""Readers, validation, importers and exporters (CSV, JSON, XLSX, FHIR, ICS)."""
