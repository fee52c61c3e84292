"""School and county data: the attrs model, canonical fields and file readers."""
