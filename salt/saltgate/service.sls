# The systemd unit (an example a site may adapt), started when manage_service.
{%- from 'saltgate/map.jinja' import saltgate with context %}

saltgate-unit:
  file.managed:
    - name: {{ saltgate.unit | yaml_dquote }}
    - source: salt://saltgate/files/saltgate.service.jinja
    - template: jinja
    - mode: '0644'
    - makedirs: True
    - context:
        gate: {{ saltgate | json }}

{%- if saltgate.manage_service %}
saltgate-running:
  service.running:
    - name: saltgate
    - enable: True
    - watch:
      - file: saltgate-install-binary
      - file: saltgate-install-settings
      - file: saltgate-config-file
      - file: saltgate-unit
{%- endif %}
