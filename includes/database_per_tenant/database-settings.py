
    provision_database_url: str = Field(
        description="URL of the provisioning role (CREATEDB), which creates the tenant databases"
    )
    # Tenant databases: at most TENANT_POOLS pools per process, the least recently used idle one
    # closed to make room, of at most TENANT_POOL_SIZE connections each.
    tenant_pools: int = Field(default=32, ge=1)
    tenant_pool_size: int = Field(default=2, ge=1)
    # `migrate` upgrades this many tenants at once, each on a connection of its own.
    migrate_parallelism: int = Field(default=4, ge=1)