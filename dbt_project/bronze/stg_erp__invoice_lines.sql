{{ stage_landed_table(source('erp', 'invoice_lines'), [
    ('invoice_line_id', 'invoice_line_id', 'string'),
    ('invoice_id', 'invoice_id', 'string'),
    ('line_number', 'line_number', 'integer'),
    ('item_id', 'item_id', 'string'),
    ('order_line_id', 'order_line_id', 'string'),
    ('quantity', 'quantity', 'number'),
    ('unit_price', 'unit_price', 'number'),
    ('discount_pct', 'discount_percent', 'number'),
    ('line_amount', 'line_amount', 'number'),
    ('created_at', 'created_at', 'timestamp'),
    ('modified_at', 'modified_at', 'timestamp'),
]) }}
