{#- The department tree (department.get) with each department's ancestors, so that choosing a department
    in a dashboard can include its sub-departments: `X = any(ancestor_department_ids)`. The post-hook
    creates marts.department_subtree(ids), that rule for the reports and dashboards
    (macros/reports/report_functions.sql). department_label names a department in chart legends and in
    `b24ops report`: its own name, short, unless another department has the same name. -#}
{{ config(post_hook="{{ create_department_subtree_function(this) }}") }}
with

departments as (
    select * from {{ ref('stg_bitrix24__departments') }}
),

ancestors as (
    select * from {{ ref('int_departments_ancestors') }}
),

paths as (
    select
        ancestors.department_id,
        array_agg(ancestors.ancestor_department_id order by ancestors.depth desc) as ancestor_department_ids,
        string_agg(named.department_name, ' / ' order by ancestors.depth desc) as department_path,
        max(ancestors.depth) as depth
    from ancestors
    inner join departments as named on named.department_id = ancestors.ancestor_department_id
    group by ancestors.department_id
),

-- over the whole tree, so a department's label does not depend on which departments a report shows
labelled as (
    select
        departments.department_id,
        case
            when count(*) over (partition by departments.department_name) = 1 then departments.department_name
            -- two sub-departments of one parent with one name have one path too: the ID tells them apart
            when count(*) over (partition by paths.department_path) = 1 then paths.department_path
            else format('%s (#%s)', paths.department_path, departments.department_id)
        end as department_label
    from departments
    left join paths on paths.department_id = departments.department_id
),

final as (
    select
        -- ids
        departments.department_id,
        departments.parent_department_id,
        departments.head_user_id,

        -- attributes
        departments.department_name,
        parents.department_name as parent_department_name,
        paths.department_path,
        labelled.department_label,
        paths.ancestor_department_ids,
        paths.depth
    from departments
    left join departments as parents on parents.department_id = departments.parent_department_id
    left join paths on paths.department_id = departments.department_id
    left join labelled on labelled.department_id = departments.department_id
)

select * from final
