# logtail: install the static tailer and write its config.
#   salt 'web-*' state.apply logtail
# Locations come from the minion config (`logtail:` dict) or defaults.yaml;
# the tailer's Redis URL from pillar `logtail:redis_url`.
include:
  - logtail.install
  - logtail.config
