with live_tasks as (

    select * from {{ ref('int_salesforce__task_versions') }}
    where {{ is_live_version() }}

),

users as (

    select user_id, source_relation, full_name from {{ ref('int_salesforce__users') }}

)

select
    tasks.task_id,
    tasks.who_id,
    {#- Key prefixes: 003 Contact, 00Q Lead; 001 Account, 006 Opportunity, 500 Case. -#}
    case
        when tasks.who_id like '003%' then 'Contact'
        when tasks.who_id like '00Q%' then 'Lead'
    end as who_object,
    tasks.what_id,
    case
        when tasks.what_id like '001%' then 'Account'
        when tasks.what_id like '006%' then 'Opportunity'
        when tasks.what_id like '500%' then 'Case'
    end as what_object,
    tasks.subject,
    tasks.activity_date,
    tasks.status,
    tasks.priority,
    tasks.is_closed,
    tasks.task_subtype,
    tasks.description,
    tasks.owner_id,
    {{ salesforce_owner_type('tasks.owner_id') }} as owner_type,
    owners.full_name as owner_name,
    tasks.created_at,
    tasks.last_modified_at,
    tasks.system_modstamp,
    tasks._batch_id,
    tasks._extracted_at,
    tasks.source_relation
from live_tasks as tasks
left join users as owners
    on owners.user_id = tasks.owner_id
    and owners.source_relation = tasks.source_relation
