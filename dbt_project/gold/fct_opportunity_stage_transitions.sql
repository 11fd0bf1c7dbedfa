{#-
    One row per stage change of an opportunity, from its version history: the versions are ordered by
    SystemModstamp (then _extracted_at, then _batch_id, as silver orders them); a version whose stage differs
    from the previous version's is a change. changed_at is the SystemModstamp of the first version landed in
    the new stage (the change happened at or before it). The first stage is taken as entered at CreatedDate.
    Versions that are quarantined, deleted, or stamped after var as_of are not read.
-#}
with versions as (

    select
        opportunity_id,
        source_relation,
        account_id,
        owner_id,
        stage_name,
        amount,
        is_closed,
        is_won,
        created_at,
        system_modstamp,
        row_number() over (
            partition by source_relation, opportunity_id
            order by system_modstamp, _extracted_at, _batch_id
        ) as version_number
    from {{ ref('int_salesforce__opportunity_versions') }}
    where opportunity_id is not null
        and system_modstamp is not null
        and quarantine_reason is null
        and not is_deleted
        and system_modstamp <= {{ as_of_timestamp() }}

),

with_previous as (

    select
        versions.*,
        lag(versions.stage_name)
            over (partition by versions.source_relation, versions.opportunity_id order by versions.version_number)
            as previous_stage_name
    from versions

),

changes as (

    select
        with_previous.*,
        row_number()
            over (
                partition by with_previous.source_relation, with_previous.opportunity_id
                order by with_previous.version_number
            )
            as transition_number,
        lag(with_previous.system_modstamp)
            over (
                partition by with_previous.source_relation, with_previous.opportunity_id
                order by with_previous.version_number
            )
            as previous_change_at
    from with_previous
    where with_previous.previous_stage_name is not null
        and with_previous.stage_name <> with_previous.previous_stage_name

)

select
    opportunity_id,
    transition_number,
    previous_stage_name as from_stage,
    stage_name as to_stage,
    coalesce(previous_change_at, created_at) as from_stage_entered_at,
    system_modstamp as changed_at,
    {{ round_decimal(hours_between('coalesce(previous_change_at, created_at)', 'system_modstamp') ~ ' / 24', 4) }}
        as days_in_from_stage,
    is_closed as is_to_stage_closed,
    is_won as is_to_stage_won,
    account_id,
    owner_id,
    amount,
    source_relation
from changes
