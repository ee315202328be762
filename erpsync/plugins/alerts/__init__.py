"""Built-in alert sinks. Each module registers one sink class through ``register_alert_sinks``."""
