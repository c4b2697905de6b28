# Writes logtail's config (mode 0600: it holds the tailer's Redis password) and
# creates its lock directory.
{%- from 'logtail/map.jinja' import logtail with context %}
{%- set redis_url = salt['pillar.get']('logtail:redis_url', '') %}
{#- A Redis Cluster instead: its seed nodes' URLs (docs/redis-cluster.md). #}
{%- set redis_cluster_urls = salt['pillar.get']('logtail:redis_cluster_urls', []) %}
{%- if not redis_url and not redis_cluster_urls %}
{{ raise('pillar logtail:redis_url is not set: give the minion the Redis URL of the tailer ACL user, e.g. redis://logtail:PASS@redis.example.com:6379/0 (or logtail:redis_cluster_urls, a list of cluster seed node URLs)') }}
{%- endif %}
{%- if redis_url and redis_cluster_urls %}
{{ raise('pillar sets both logtail:redis_url and logtail:redis_cluster_urls: set exactly one') }}
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
        redis_cluster_urls: {{ redis_cluster_urls | json }}
        allowed_paths: {{ logtail.allowed_paths | json }}
        lock_dir: {{ logtail.lock_dir | json }}
        minion_id: {{ grains['id'] | json }}
        tunables: {{ logtail.tunables | json }}
