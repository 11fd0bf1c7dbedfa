{#- Users have no governed picklists (UserType is passed through trimmed) and no IsDeleted field. -#}
with staged as (

    select * from {{ ref('stg_salesforce__users') }}

),

validated as (

    select
        staged.user_id,
        staged.username,
        staged.first_name,
        staged.last_name,
        staged.full_name,
        {{ email_columns('staged.email') }},
        staged.title,
        staged.department,
        staged.is_active,
        staged.manager_id,
        nullif(trim(staged.user_type), '') as user_type,
        (staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(salesforce_record_checks('staged.user_id')) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged

)

select
    validated.*,
    {{ is_latest_version('user_id') }} as is_latest_version
from validated
