-- Every key in the picklist seed is already in normalised form (else it could never match), and every
-- canonical value is reachable through its own normalised key.
with picklist_values as (

    select * from {{ ref('salesforce_picklist_values') }}

),

keys_not_normalised as (

    select object_name, field_name, raw_value_normalised_key, 'key is not normalised' as problem
    from picklist_values
    where raw_value_normalised_key <> {{ picklist_normalised_key('raw_value_normalised_key') }}

),

canonical_values_without_own_key as (

    select
        canonical.object_name, canonical.field_name, canonical.canonical_value,
        'canonical value has no own key' as problem
    from picklist_values as canonical
    left join picklist_values as own_key
        on own_key.object_name = canonical.object_name
        and own_key.field_name = canonical.field_name
        and own_key.raw_value_normalised_key = {{ picklist_normalised_key('canonical.canonical_value') }}
        and own_key.canonical_value = canonical.canonical_value
    where own_key.canonical_value is null

)

select * from keys_not_normalised
union all
select * from canonical_values_without_own_key
