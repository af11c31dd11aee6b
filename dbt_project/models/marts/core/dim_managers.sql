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

unknown_users as (
    select * from {{ ref('int_users_unknown') }}
),

employees as (
    select
        users.user_id as manager_id,
        users.primary_department_id as department_id,
        departments.parent_department_id,
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

    union all

    -- users the deals, leads, calls and activities name but user.get does not list as employees (int_users_unknown):
    -- a row each, so their records count per manager; in no department, in the sales report's default
    -- scope like the unassigned manager (docs/metrics.md "Records naming an unknown user")
    select
        unknown_users.user_id,
        null,
        null,
        case
            when unknown_users.user_type is null
                then format('User #%s (not in the portal''s user list)', unknown_users.user_id)
            else format('%s (#%s, %s, not an employee)',
                        coalesce(unknown_users.full_name, 'user'), unknown_users.user_id, unknown_users.user_type)
        end,
        null,
        null,
        null,
        false,
        true
    from unknown_users
),

-- how many employees share the name, and the name and department: a repeated name gets its department,
-- a repeated name in the same department also the user ID, so the display name is unique (a filter option
-- and a chart axis label each mean one person)
namesakes as (
    select
        *,
        count(*) over (partition by manager_name) as same_name,
        count(*) over (partition by manager_name, department_name) as same_name_and_department
    from employees
),

final as (
    select
        -- ids
        manager_id,
        department_id,
        parent_department_id,

        -- attributes
        manager_name,
        case
            when manager_name is null then format('user #%s', manager_id)
            when same_name = 1 then manager_name
            when same_name_and_department = 1
                then format('%s (%s)', manager_name, coalesce(department_name, 'no department'))
            else format('%s (%s, #%s)', manager_name, coalesce(department_name, 'no department'), manager_id)
        end as manager_display_name,
        work_position,
        department_name,
        parent_department_name,
        is_active,
        is_in_sales_report
    from namesakes
)

select * from final
