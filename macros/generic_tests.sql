{#- Generic test: no two rows share the same values in all of `combination_of_columns`. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as rows_with_these_values
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}


{#-
    Generic test: every non-NULL value of the column is a canonical value of the Salesforce picklist
    `object_name`.`field_name` in seeds/salesforce_picklist_values.csv (for picklists too long to list in
    an accepted_values test).
-#}
{% test is_canonical_picklist_value(model, column_name, object_name, field_name) %}

select {{ column_name }} as value_not_in_picklist
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }} not in (
        select canonical_value
        from {{ ref('salesforce_picklist_values') }}
        where object_name = '{{ object_name }}'
            and field_name = '{{ field_name }}'
    )

{% endtest %}


{#-
    Generic test: the column is unique within each org (source_relation): Salesforce keys are unique in their
    org, and the same Id may exist in another org (a sandbox copy, or the sandbox's second org). NULLs are
    left out, as dbt's unique test does.
-#}
{% test unique_per_org(model, column_name) %}

select
    source_relation,
    {{ column_name }},
    count(*) as rows_with_this_value
from {{ model }}
where {{ column_name }} is not null
group by source_relation, {{ column_name }}
having count(*) > 1

{% endtest %}
