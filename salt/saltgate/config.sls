# saltgate's settings overlay (mode 0600, owned by its user: it holds the
# salt-api password and the client tokens), its audit directory, and the
# master drop-in that binds salt-api to 127.0.0.1.
{%- from 'saltgate/map.jinja' import saltgate with context %}
{%- set secrets = salt['pillar.get']('saltgate', {}) %}
{%- if not secrets.get('salt_password') %}
{{ raise('pillar saltgate:salt_password is not set: the password of the eauth user saltgate logs in as (salt_username)') }}
{%- endif %}
{%- if not secrets.get('clients') %}
{{ raise('pillar saltgate:clients is not set: a list of {name, token} (logview needs one; its salt.gate_token is that token)') }}
{%- endif %}

saltgate-audit-dir:
  file.directory:
    - name: {{ salt['file.dirname'](saltgate.audit_file) | yaml_dquote }}
    - mode: '0700'
    - user: {{ saltgate.user | yaml_dquote }}
    - group: {{ saltgate.group | yaml_dquote }}
    - makedirs: True

saltgate-config-file:
  file.managed:
    - name: {{ saltgate.config | yaml_dquote }}
    - source: salt://saltgate/files/saltgate.toml.jinja
    - template: jinja
    - mode: '0600'
    - user: {{ saltgate.user | yaml_dquote }}
    - group: {{ saltgate.group | yaml_dquote }}
    - makedirs: True
    # The file holds secrets: keep its content out of the job return/cache.
    - show_changes: False
    - context:
        gate: {{ saltgate | json }}
        secrets: {{ secrets | json }}

saltgate-salt-api-loopback:
  file.managed:
    - name: {{ (saltgate.master_config_dir ~ '/saltgate-salt-api.conf') | yaml_dquote }}
    - mode: '0644'
    - makedirs: True
    - contents: |
        # Written by the saltgate state: salt-api listens on 127.0.0.1 only,
        # so saltgate (same host) is its only client. Restart salt-api after a change.
        rest_cherrypy:
          host: 127.0.0.1
          port: {{ saltgate.salt_api_port }}
