# The saltgate user, the binary (byte for byte the one the master serves,
# checked against the pinned sha256 beside it) and the shipped settings.toml.
{%- from 'saltgate/map.jinja' import saltgate with context %}

{%- if saltgate.manage_user %}
saltgate-user:
  user.present:
    - name: {{ saltgate.user | yaml_dquote }}
    - system: True
    - shell: /usr/sbin/nologin
    - createhome: False
    - require_in:
      - file: saltgate-install-binary
{%- endif %}

saltgate-install-binary:
  file.managed:
    - name: {{ saltgate.bin | yaml_dquote }}
    - source: {{ saltgate.source | yaml_dquote }}
    - source_hash: {{ saltgate.source_hash | yaml_dquote }}
    - mode: '0755'
    - user: root
    - group: root
    - makedirs: True

saltgate-install-settings:
  file.managed:
    - name: {{ saltgate.settings | yaml_dquote }}
    - source: {{ saltgate.settings_source | yaml_dquote }}
    - mode: '0644'
    - user: root
    - group: root
    - makedirs: True
