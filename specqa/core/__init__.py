"""The core every layer stands on: settings, errors, the spec's domain types, embedding and the store."""
