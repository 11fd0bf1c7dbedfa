{%- set versions = [
    ('User', 'int_salesforce__user_versions', 'user_id'),
    ('Account', 'int_salesforce__account_versions', 'account_id'),
    ('Contact', 'int_salesforce__contact_versions', 'contact_id'),
    ('Lead', 'int_salesforce__lead_versions', 'lead_id'),
    ('Opportunity', 'int_salesforce__opportunity_versions', 'opportunity_id'),
    ('Case', 'int_salesforce__case_versions', 'case_id'),
    ('Task', 'int_salesforce__task_versions', 'task_id'),
    ('Event', 'int_salesforce__event_versions', 'event_id'),
    ('Campaign', 'int_salesforce__campaign_versions', 'campaign_id'),
    ('Product2', 'int_salesforce__product_versions', 'product_id'),
    ('OpportunityLineItem', 'int_salesforce__opportunity_line_item_versions', 'opportunity_line_item_id'),
] -%}

{%- for object_name, versions_model, id_column in versions %}
select
    cast('{{ object_name }}' as {{ dbt.type_string() }}) as object_name,
    {{ id_column }} as record_id,
    source_relation,
    _batch_id,
    _extracted_at,
    system_modstamp,
    is_latest_version,
    quarantine_reason as reason,
    _raw_record as raw_record
from {{ ref(versions_model) }}
where quarantine_reason is not null
{% if not loop.last %}union all{% endif %}
{%- endfor %}
