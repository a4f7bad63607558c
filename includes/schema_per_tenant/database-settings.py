
    # `migrate` upgrades this many tenants at once, each on a connection of its own.
    migrate_parallelism: int = Field(default=4, ge=1)