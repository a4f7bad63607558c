"""Black-box HTTP contract suite, run against every framework flavour of the template."""
