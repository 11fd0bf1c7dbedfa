-- A record whose current version is quarantined is held back from its live table.
{%- set live_tables = [
    ('User', 'int_salesforce__users', 'user_id'),
    ('Account', 'int_salesforce__accounts', 'account_id'),
    ('Contact', 'int_salesforce__contacts', 'contact_id'),
    ('Lead', 'int_salesforce__leads', 'lead_id'),
    ('Opportunity', 'int_salesforce__opportunities', 'opportunity_id'),
    ('Case', 'int_salesforce__cases', 'case_id'),
    ('Task', 'int_salesforce__tasks', 'task_id'),
] %}

{%- for object_name, live_model, id_column in live_tables %}
select quarantine.object_name, quarantine.record_id, quarantine.reason
from {{ ref('int_salesforce__quarantine') }} as quarantine
inner join {{ ref(live_model) }} as live
    on live.{{ id_column }} = quarantine.record_id
    and live.source_relation = quarantine.source_relation
where quarantine.object_name = '{{ object_name }}'
    and quarantine.is_latest_version
{% if not loop.last %}union all{% endif %}
{%- endfor %}
