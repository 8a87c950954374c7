"""Runtime fixes for WeasyPrint 70: each says which version needs it and has a canary test."""
