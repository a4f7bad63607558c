package config

import (
	"errors"
	"strconv"
)

// Tenancy is what the database_per_tenant model adds to the settings of serve and migrate.
type Tenancy struct {
	// ProvisionDatabaseURL is the provisioning role's URL to the control database: it creates,
	// owns and migrates the tenants' databases.
	ProvisionDatabaseURL string
	// TenantPools is how many tenants' pools stay open at once, and TenantPoolSize the most
	// connections of each: their product caps the tenant connections of a process.
	TenantPools    int
	TenantPoolSize int32
}

// LoadTenancy reads the settings of the tenants' databases through getenv.
func LoadTenancy(getenv func(string) string) (Tenancy, error) {
	t := Tenancy{ProvisionDatabaseURL: getenv("PROVISION_DATABASE_URL"), TenantPools: 32, TenantPoolSize: 2}
	var errs []error
	if t.ProvisionDatabaseURL == "" {
		errs = append(errs, errors.New("PROVISION_DATABASE_URL (the provisioning role, which creates the tenants' databases) must be set"))
	}
	positive := func(key string, value *int) {
		if text := getenv(key); text != "" {
			n, err := strconv.Atoi(text)
			if err != nil || n < 1 {
				errs = append(errs, errors.New(key+" must be a positive integer"))
				return
			}
			*value = n
		}
	}
	positive("TENANT_POOLS", &t.TenantPools)
	size := int(t.TenantPoolSize)
	positive("TENANT_POOL_SIZE", &size)
	t.TenantPoolSize = int32(size)
	return t, errors.Join(errs...)
}
