{#- Which departments the sales reports cover by default (#19 point 8): one rule, read by the CLI's reports
    and the dashboards through marts.dim_managers.is_in_sales_report.

    - B24_SALES_DEPARTMENTS set (dbt var sales_department_ids, a list of department IDs): those departments
      and their sub-departments.
    - Not set: detected — the departments where an employee is the responsible person of a deal (ever),
      and their sub-departments. The accountants, the director and a head of sales who own no deal stay
      out; everyone is still available on demand (`b24ops report --all-staff`).
    - Nothing configured and no deal yet: every department (nothing to tell sales apart by). -#}
{%- set configured = var('sales_department_ids', []) | map('int') | list -%}
with

departments as (
    select * from {{ ref('stg_bitrix24__departments') }}
),

ancestors as (
    select * from {{ ref('int_departments_ancestors') }}
),

users as (
    select * from {{ ref('stg_bitrix24__users') }}
),

deals as (
    select * from {{ ref('stg_bitrix24__deals') }}
),

configured as (
    {%- if configured %}
    select unnest(array[{{ configured | join(', ') }}]::bigint[]) as department_id
    {%- else %}
    select null::bigint as department_id where false
    {%- endif %}
),

deal_owners as (
    select distinct users.primary_department_id as department_id
    from deals
    inner join users on users.user_id = deals.responsible_id
    where users.user_type = 'employee'
      and users.primary_department_id is not null
),

roots as (
    select department_id, 'B24_SALES_DEPARTMENTS' as chosen_by from configured
    union all
    select department_id, 'deal owners' as chosen_by from deal_owners
    where not exists (select 1 from configured)
),

in_tree as (
    select ancestors.department_id, min(roots.chosen_by) as chosen_by
    from ancestors
    inner join roots on roots.department_id = ancestors.ancestor_department_id
    group by ancestors.department_id
),

final as (
    select
        -- ids
        departments.department_id,

        -- attributes
        case
            when exists (select 1 from roots) then in_tree.department_id is not null
            else true
        end as is_in_sales_report,
        coalesce(
            in_tree.chosen_by, case when exists (select 1 from roots) then null else 'everyone (no deals yet)' end
        ) as chosen_by
    from departments
    left join in_tree on in_tree.department_id = departments.department_id
)

select * from final
