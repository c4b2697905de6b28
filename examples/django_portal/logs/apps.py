"""The `logs` app: pages that show a live log from logview."""
from django.apps import AppConfig


class LogsConfig(AppConfig):
    name = "logs"
    verbose_name = "Live logs (salt-logview)"
