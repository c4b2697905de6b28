# Writes logtail's config (mode 0600: it holds the tailer's Redis password) and
# creates its lock directory.
{%- from 'logtail/map.jinja' import logtail with context %}
{%- set redis_url = salt['pillar.get']('logtail:redis_url', '') %}
{%- if not redis_url %}
{{ raise('pillar logtail:redis_url is not set: give the minion the Redis URL of the tailer ACL user, e.g. redis://logtail:PASS@redis.example.com:6379/0') }}
{%- endif %}

logtail-config-lock-dir:
  file.directory:
    - name: {{ logtail.lock_dir | yaml_dquote }}
    - mode: '0700'
    - user: {{ logtail.user | yaml_dquote }}
    - group: {{ logtail.group | yaml_dquote }}
    - makedirs: True

logtail-config-file:
  file.managed:
    - name: {{ logtail.config | yaml_dquote }}
    - source: salt://logtail/files/logtail.toml.jinja
    - template: jinja
    - mode: '0600'
    - user: {{ logtail.user | yaml_dquote }}
    - group: {{ logtail.group | yaml_dquote }}
    - makedirs: True
    # The file holds a password: keep its content out of the job return/cache.
    - show_changes: False
    - context:
        redis_url: {{ redis_url | json }}
        allowed_paths: {{ logtail.allowed_paths | json }}
        lock_dir: {{ logtail.lock_dir | json }}
        minion_id: {{ grains['id'] | json }}
        tunables: {{ logtail.tunables | json }}
