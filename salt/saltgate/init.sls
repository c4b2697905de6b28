# saltgate: the only client of salt-api, beside it on the Salt master.
#   salt 'salt-master-host' state.apply saltgate
# Locations come from the host's minion config (`saltgate:` dict) or
# defaults.yaml; secrets from pillar `saltgate:` (salt_password, clients,
# audit_redis_url). Restart salt-api after the first run (it must listen on
# 127.0.0.1 only). See docs/gate.md.
include:
  - saltgate.install
  - saltgate.config
  - saltgate.service
