{{ stage_salesforce_object(source('salesforce', 'dated_conversion_rate'), [
    ('id', 'dated_conversion_rate_id', 'string'),
    ('isocode', 'iso_code', 'string'),
    ('conversionrate', 'conversion_rate', 'number'),
    ('startdate', 'start_date', 'date'),
    ('nextstartdate', 'next_start_date', 'date'),
    ('createddate', 'created_at', 'timestamp'),
    ('createdbyid', 'created_by_id', 'string'),
    ('lastmodifieddate', 'last_modified_at', 'timestamp'),
    ('lastmodifiedbyid', 'last_modified_by_id', 'string'),
    ('systemmodstamp', 'system_modstamp', 'timestamp'),
]) }}
