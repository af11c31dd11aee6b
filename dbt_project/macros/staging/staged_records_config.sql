{#- The config of an incremental staging table over latest_version(): one row per record of the raw `entity`,
    replaced whole on each build (unique_key, the project's delete+insert); indexed on the record id, on
    last_seen_at (the next build's watermark, staging_watermark) and on staged_at (the data tests'
    written_by_last_run), then on the model's own `indexed` columns, the ones its readers filter on, and
    uniquely on its `unique` ones (a duplicate fails the statement that writes it); after each
    build the records the reconciliation sweep found deleted are dropped (delete_swept_records).
    A full build reads latest_version() in the raw table's primary-key order (portal_id, id, ...): with sorts
    discouraged for that one transaction PostgreSQL walks the key and orders each record's few versions
    (incremental sort), instead of sorting every version's whole row (payload included) — on 11.8 M activities
    a 12 GB sort spilled to disk; the key walk took 24.6 s without temporary files (docs/benchmarks.md,
    "Staging's full build"). Nested loops are off for that transaction too: the deletions ledger is small
    or empty, so PostgreSQL planned its anti-join as a re-scan of the ledger for each of the 10^7 versions,
    a seek system call each (a quarter of the statement's CPU in a profile); hashed, the ledger is read once
    (the staging table of 3 M activities: 31.9-43.1 s -> 27.5-36.8 s, docs/decisions.md). -#}
{% macro staged_records_config(entity, id_column, indexed=[], unique=[]) -%}
{%- set indexes = [{'columns': [id_column], 'unique': true}, {'columns': ['last_seen_at']},
                   {'columns': ['staged_at']}] -%}
{%- for column in indexed -%}
    {%- do indexes.append({'columns': [column]}) -%}
{%- endfor -%}
{%- for column in unique -%}
    {%- do indexes.append({'columns': [column], 'unique': true}) -%}
{%- endfor -%}
{{ return({
    'materialized': 'incremental',
    'unique_key': id_column,
    'indexes': indexes,
    'pre_hook': "{% if not is_incremental() %}set local enable_sort = off;
                 set local enable_nestloop = off{% endif %}",
    'post_hook': "{{ delete_swept_records('" ~ entity ~ "', '" ~ id_column ~ "') }}",
}) }}
{%- endmacro %}
