{#- Department tree closure: one row per (department, ancestor) pair, the department itself included at
    depth 0. "A department includes its sub-departments" = every department whose ancestors contain it. -#}
with recursive

departments as (
    select * from {{ ref('stg_bitrix24__departments') }}
),

closure as (
    select
        department_id,
        department_id as ancestor_department_id,
        0 as depth,
        array[department_id] as visited
    from departments

    union all

    select
        closure.department_id,
        parents.parent_department_id as ancestor_department_id,
        closure.depth + 1 as depth,
        closure.visited || parents.parent_department_id
    from closure
    inner join departments as parents on parents.department_id = closure.ancestor_department_id
    where parents.parent_department_id is not null
      -- a cycle in broken portal data must not loop forever
      and not parents.parent_department_id = any(closure.visited)
),

final as (
    select
        department_id,
        ancestor_department_id,
        depth
    from closure
)

select * from final
