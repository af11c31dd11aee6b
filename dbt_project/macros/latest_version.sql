{#- The current version of every record of a raw table (see orchestration/warehouse/raw_tables.py):
    the one with the newest change stamp, ties broken by when it was last observed. Records that the
    reconciliation sweep found deleted after their last sighting are left out.

    In an incremental staging model (materialized 'incremental', e.g. stg_bitrix24__deals) only the
    records with a version observed since the model's watermark are re-derived: the newest last_seen_at
    it holds, minus var staging_overlap (default 1 day). The overlap covers ingestion transactions that
    were still open (their rows stamped with its start, committed later) when the previous build read
    raw; one window is loaded in one transaction, so a load longer than the overlap next to a running
    dbt build needs a larger value or a --full-refresh of staging. -#}
{% macro latest_version(raw_relation) -%}
    select distinct on (versions.portal_id, versions.id) versions.*
    from {{ raw_relation }} as versions
    where versions.portal_id = '{{ var("portal_id") }}'
      {%- if is_incremental() %}
      and versions.id in (
          select touched.id
          from {{ raw_relation }} as touched
          where touched.portal_id = '{{ var("portal_id") }}'
            and touched.last_seen_at >= '{{ staging_watermark() }}'::timestamptz
      )
      {%- endif %}
      and not exists (
          select 1
          from {{ source('bitrix24', 'deletions') }} as deletions
          where deletions.portal_id = versions.portal_id
            and deletions.entity = '{{ raw_relation.identifier }}'
            and deletions.id = versions.id
            and deletions.detected_at > versions.last_seen_at
      )
    order by versions.portal_id, versions.id,
             versions.change_stamp desc nulls last, versions.last_seen_at desc, versions.loaded_at desc
{%- endmacro %}

{#- The newest sighting an incremental staging model holds minus var staging_overlap, as a literal: read
    before the statement is compiled, so that PostgreSQL plans the range scan of raw's (portal_id,
    last_seen_at) index with a known bound (a sub-query bound is estimated as a third of the table: a full
    scan of 10^7 rows for a day's changes). -#}
{% macro staging_watermark() -%}
    {%- if execute -%}
        {%- set query -%}
            select (max(last_seen_at) - interval '{{ var("staging_overlap", "1 day") }}')::text from {{ this }}
        {%- endset -%}
        {{- run_query(query).columns[0].values()[0] or '-infinity' -}}
    {%- else -%}
        -infinity
    {%- endif -%}
{%- endmacro %}

{#- When an incremental staging model wrote its rows: data tests scoped with where 'written_by_last_run'
    (macros/tests/get_where_subquery.sql) check exactly the rows the last build wrote. -#}
{% macro staged_at() -%}
'{{ run_started_at.isoformat() }}'::timestamptz
{%- endmacro %}
