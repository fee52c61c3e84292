"""Loading standard files: schema, layers, provenance, the Standard model."""
