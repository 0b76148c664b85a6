"""The Slack bot: signed webhooks (`routes`) or Socket Mode (`socket_mode`) in, the same handling
(`bot`, `interactions`), compact Block Kit answers out (`compact`, `blocks`). The package itself
imports nothing, so its settings (`settings`) load without the bot."""
