package config

import (
	"strings"
	"testing"
)

func TestLoadTenancy(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    Tenancy
		refuses string
	}{
		{name: "defaults", env: map[string]string{}, want: Tenancy{ProvisionDatabaseURL: "postgresql://provisioner@db/x", TenantPools: 32, TenantPoolSize: 2}},
		{name: "sizes", env: map[string]string{"TENANT_POOLS": "3", "TENANT_POOL_SIZE": "5"}, want: Tenancy{ProvisionDatabaseURL: "postgresql://provisioner@db/x", TenantPools: 3, TenantPoolSize: 5}},
		{name: "no provisioning role", env: map[string]string{"PROVISION_DATABASE_URL": ""}, refuses: "PROVISION_DATABASE_URL"},
		{name: "no pools", env: map[string]string{"TENANT_POOLS": "0"}, refuses: "TENANT_POOLS must be a positive integer"},
		{name: "empty pools", env: map[string]string{"TENANT_POOL_SIZE": "-1"}, refuses: "TENANT_POOL_SIZE must be a positive integer"},
		{name: "not a number", env: map[string]string{"TENANT_POOL_SIZE": "two"}, refuses: "TENANT_POOL_SIZE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadTenancy(environment(tt.env))
			switch {
			case tt.refuses == "" && (err != nil || got != tt.want):
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			case tt.refuses != "" && (err == nil || !strings.Contains(err.Error(), tt.refuses)):
				t.Fatalf("got %v, want a refusal naming %s", err, tt.refuses)
			}
			// serve refuses the same.
			if _, err := Load(environment(tt.env)); (err != nil) != (tt.refuses != "") {
				t.Fatalf("Load: %v", err)
			}
		})
	}
}
