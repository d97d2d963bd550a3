"""Numbers in Chinese as official statistics print them: 1,234,567. Django's own
zh_Hans formats have no thousands separator (and group by four), so `intcomma` left
every figure ungrouped. Everything else comes from Django's zh_Hans formats."""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
