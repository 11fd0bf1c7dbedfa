-- Reconciliation: every live task is one activity, and the per owner/account and per owner/priority rollups add
-- up to their detail models (counts per org).
with checks as (

    select 'tasks -> fct_activities' as check_name, source_relation,
        (select count(*) from {{ ref('int_salesforce__tasks') }} as tasks
         where tasks.source_relation = orgs.source_relation) as expected,
        (select count(*) from {{ ref('fct_activities') }} as activities
         where activities.source_relation = orgs.source_relation and activities.activity_type = 'Task') as actual
    from (select distinct source_relation from {{ ref('int_salesforce__tasks') }}) as orgs

    union all

    select 'fct_activities -> by owner and account (open, completed, overdue)', source_relation,
        (select count(*) + sum(case when is_open then 1 else 0 end) + sum(case when is_overdue then 1 else 0 end)
         from {{ ref('fct_activities') }} as activities where activities.source_relation = orgs.source_relation),
        (select sum(activity_count) + sum(open_activity_count) + sum(overdue_activity_count)
         from {{ ref('fct_activities_by_owner_account') }} as rollup
         where rollup.source_relation = orgs.source_relation)
    from (select distinct source_relation from {{ ref('fct_activities') }}) as orgs

    union all

    select 'fct_case_resolution -> by owner and priority (cases, open, breached)', source_relation,
        (select count(*) + sum(case when is_closed then 0 else 1 end) + sum(case when is_sla_breached then 1 else 0 end)
         from {{ ref('fct_case_resolution') }} as cases where cases.source_relation = orgs.source_relation),
        (select sum(case_count) + sum(open_case_count) + sum(sla_breached_case_count)
         from {{ ref('fct_case_resolution_by_owner_priority') }} as rollup
         where rollup.source_relation = orgs.source_relation)
    from (select distinct source_relation from {{ ref('fct_case_resolution') }}) as orgs

)

select * from checks where expected <> actual or (expected is null) <> (actual is null)
