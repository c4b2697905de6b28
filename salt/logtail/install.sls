# Installs the logtail binary, byte for byte the one the master serves, checked
# against the pinned sha256 beside it.
{%- from 'logtail/map.jinja' import logtail with context %}

logtail-install-binary:
  file.managed:
    - name: {{ logtail.bin | yaml_dquote }}
    - source: {{ logtail.source | yaml_dquote }}
    - source_hash: {{ logtail.source_hash | yaml_dquote }}
    - mode: '0755'
    - user: {{ logtail.user | yaml_dquote }}
    - group: {{ logtail.group | yaml_dquote }}
    - makedirs: True
