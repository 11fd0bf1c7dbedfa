{%- set picklists = {
    'account_type': 'Type',
    'industry': 'Industry',
    'salesforce_customer_health': 'Customer_Health__c',
} -%}

with staged as (

    select * from {{ ref('stg_salesforce__accounts') }}

),

validated as (

    select
        staged.account_id,
        nullif(trim(staged.customer_key), '') as customer_key,
        staged.account_name,
        {{ picklist_canonical('account_type') }} as account_type,
        {{ picklist_canonical('industry') }} as industry,
        staged.parent_account_id,
        staged.billing_street,
        staged.billing_city,
        staged.billing_state,
        staged.billing_postal_code,
        staged.billing_country,
        staged.phone,
        staged.website,
        staged.annual_revenue,
        staged.number_of_employees,
        staged.description,
        staged.salesforce_open_pipeline_amount,
        staged.salesforce_closed_won_amount,
        staged.salesforce_open_case_count,
        staged.salesforce_avg_case_resolution_hours,
        {{ picklist_canonical('salesforce_customer_health') }} as salesforce_customer_health,
        nullif(upper(trim(staged.currency_iso_code)), '') as currency_iso_code,
        staged.owner_id,
        staged.master_record_id,
        (coalesce(staged.is_deleted, false) or staged._hard_deleted_at is not null) as is_deleted,
        staged.created_at,
        staged.created_by_id,
        staged.last_modified_at,
        staged.last_modified_by_id,
        staged.system_modstamp,
        {{ rejection_reasons(
            salesforce_record_checks('staged.account_id')
            + picklist_checks(picklists, 'staged')
        ) }} as quarantine_reason,
        staged._batch_id,
        staged._extracted_at,
        staged._source,
        staged.source_relation,
        staged._raw_record
    from staged
    {{ picklist_joins('Account', picklists, 'staged') }}

)

select
    validated.*,
    {{ is_latest_version('account_id') }} as is_latest_version
from validated
