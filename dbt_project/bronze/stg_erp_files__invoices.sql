{#- The SAP-style invoice export: status O open, C cleared (paid), S void; LOEVM = X soft-deleted; modified at
    AEDAT + AEZET. It names the customer by number only (KUNAG, dirt included) and has no ERP ids. -#}
{{ stage_landed_table(source('erp_files', 'invoices'), [
    ('vbeln', 'invoice_number_raw', 'string'),
    ('fkart', 'billing_type', 'string'),
    ('kunag', 'customer_number_raw', 'string'),
    ('name1', 'customer_name', 'string'),
    ('fkdat', 'invoice_date', 'date'),
    ('netdt', 'due_date', 'date'),
    ("case upper(trim(landed_row.status)) when 'O' then 'open' when 'C' then 'paid' when 'S' then 'void' end", 'status_raw', 'string'),
    ('waerk', 'currency_raw', 'string'),
    ('netwr', 'subtotal', 'number'),
    ('mwsbk', 'tax_amount', 'number'),
    ('brtwr', 'total_amount', 'number'),
    ('bezahlt', 'amount_paid', 'number'),
    ("landed_row.aedat || ' ' || landed_row.aezet", 'modified_at', 'timestamp'),
    ("case when upper(trim(landed_row.loevm)) = 'X' then 'true' else 'false' end", 'is_deleted', 'boolean'),
    ('source_file', 'source_file', 'string'),
    ('source_line', 'source_line', 'integer'),
]) }}
