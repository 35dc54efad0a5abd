"""``aftersales demo seed``: a living organisation loaded through the public APIs and the bus."""
