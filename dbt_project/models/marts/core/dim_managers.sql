with

users as (
    select * from {{ ref('stg_bitrix24__users') }}
),

departments as (
    select * from {{ ref('stg_bitrix24__departments') }}
),

sales_report as (
    select * from {{ ref('int_departments_in_sales_report') }}
),

final as (
    select
        -- ids
        users.user_id as manager_id,
        users.primary_department_id as department_id,
        departments.parent_department_id,

        -- attributes
        users.full_name as manager_name,
        users.work_position,
        departments.department_name,
        parents.department_name as parent_department_name,
        users.is_active,
        -- the sales reports' default scope (int_departments_in_sales_report): the CLI and the dashboards
        coalesce(sales_report.is_in_sales_report, false) as is_in_sales_report
    from users
    left join departments on departments.department_id = users.primary_department_id
    left join departments as parents on parents.department_id = departments.parent_department_id
    left join sales_report on sales_report.department_id = users.primary_department_id
    where users.user_type = 'employee'

    union all

    -- calls and deals that name no employee (macros/reports/unassigned.sql); in no department, yet in
    -- the sales report's default scope: deals nobody owns are the sales team's to see
    select
        {{ unassigned_manager_id() }}, null, null, 'Unassigned', null, null, null, true, true
)

select * from final
