with live_users as (

    select * from {{ ref('int_salesforce__user_versions') }}
    where {{ is_live_version() }}

)

select
    users.user_id,
    users.username,
    users.first_name,
    users.last_name,
    users.full_name,
    users.email,
    users.is_email_valid,
    users.title,
    users.department,
    users.is_active,
    users.user_type,
    users.manager_id,
    managers.full_name as manager_name,
    users.created_at,
    users.last_modified_at,
    users.system_modstamp,
    users._batch_id,
    users._extracted_at,
    users.source_relation
from live_users as users
left join live_users as managers
    on managers.user_id = users.manager_id
    and managers.source_relation = users.source_relation
