package config

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

const goodSecret = "0123456789abcdef0123456789abcdef"

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		refuses string
	}{
		{name: "a long secret", env: map[string]string{}},
		{name: "no secret in development", env: map[string]string{"JWT_SECRET": ""}, refuses: "openssl rand"},
		{name: "no secret in production", env: map[string]string{"JWT_SECRET": "", "ENVIRONMENT": "production"}, refuses: "JWT_SECRET must be set"},
		{name: "a short secret", env: map[string]string{"JWT_SECRET": "short"}, refuses: "JWT_SECRET"},
		{name: "a 31-byte secret", env: map[string]string{"JWT_SECRET": goodSecret[:31]}, refuses: "JWT_SECRET"},
		{name: "a change-me placeholder", env: map[string]string{"JWT_SECRET": "change-me-jwt-secret-change-me-jwt-secret"}, refuses: "JWT_SECRET"},
		{name: "unknown environment", env: map[string]string{"ENVIRONMENT": "staging"}, refuses: "ENVIRONMENT"},
		{name: "bad lifetime", env: map[string]string{"ACCESS_TOKEN_TTL_SECONDS": "soon"}, refuses: "ACCESS_TOKEN_TTL_SECONDS"},
		{name: "bad rate", env: map[string]string{"RATE_LIMIT_PER_ADDRESS": "lots"}, refuses: "RATE_LIMIT_PER_ADDRESS"},
		{name: "unknown pooler", env: map[string]string{"DATABASE_POOLER": "session"}, refuses: "DATABASE_POOLER"},
		{name: "a shared rate-limit store", env: map[string]string{"RATE_LIMIT_STORAGE": "redis://cache:6379"}, refuses: "httprate-redis"},
		{name: "a bad proxy", env: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, refuses: "TRUSTED_PROXIES"},
		{name: "a hashing budget of zero", env: map[string]string{"PASSWORD_HASH_CONCURRENCY": "0"}, refuses: "PASSWORD_HASH_CONCURRENCY"},
		{name: "a negative grace", env: map[string]string{"REFRESH_REUSE_GRACE_SECONDS": "-1"}, refuses: "REFRESH_REUSE_GRACE_SECONDS"},
		{name: "no grace", env: map[string]string{"REFRESH_REUSE_GRACE_SECONDS": "0"}},
		{name: "no waiting for a hashing slot", env: map[string]string{"PASSWORD_HASH_MAX_WAITING": "0"}},
		{name: "a negative waiting room", env: map[string]string{"PASSWORD_HASH_MAX_WAITING": "-2"}, refuses: "PASSWORD_HASH_MAX_WAITING"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(environment(tt.env))
			switch {
			case tt.refuses == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.refuses != "" && (err == nil || !strings.Contains(err.Error(), tt.refuses)):
				t.Fatalf("got %v, want a refusal naming %s", err, tt.refuses)
			}
		})
	}
}

func TestLoadMigration(t *testing.T) {
	urls := map[string]string{"DATABASE_URL": "postgresql://app@db/x", "MIGRATION_DATABASE_URL": "postgresql://owner@db/x"}
	for _, tt := range []struct {
		parallelism string
		want        int
		refuses     bool
	}{
		{parallelism: "", want: 4},
		{parallelism: "1", want: 1},
		{parallelism: "16", want: 16},
		{parallelism: "0", refuses: true},
		{parallelism: "-1", refuses: true},
		{parallelism: "many", refuses: true},
	} {
		t.Run("MIGRATE_PARALLELISM="+tt.parallelism, func(t *testing.T) {
			env := map[string]string{"MIGRATE_PARALLELISM": tt.parallelism}
			for k, v := range urls {
				env[k] = v
			}
			m, err := LoadMigration(func(key string) string { return env[key] })
			switch {
			case tt.refuses && (err == nil || !strings.Contains(err.Error(), "MIGRATE_PARALLELISM")):
				t.Fatalf("got %v, want a refusal naming MIGRATE_PARALLELISM", err)
			case !tt.refuses && (err != nil || m.Parallelism != tt.want):
				t.Fatalf("got %d, %v; want %d", m.Parallelism, err, tt.want)
			}
		})
	}
}

// environment is a JWT secret that passes, and the given variables over it.
func environment(values map[string]string) func(string) string {
	return func(key string) string {
		if value, ok := values[key]; ok {
			return value
		}
		if key == "JWT_SECRET" {
			return goodSecret
		}
		return ""
	}
}

func TestDefaults(t *testing.T) {
	cfg, err := Load(environment(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		setting   string
		got, want any
	}{
		{"RATE_LIMIT_PER_ADDRESS", cfg.RateLimitPerAddress, Rate{60, time.Minute}},
		{"RATE_LIMIT_PER_ACCOUNT", cfg.RateLimitPerAccount, Rate{10, time.Minute}},
		{"MAX_REQUEST_BODY_BYTES", cfg.MaxRequestBodyBytes, int64(1 << 20)},
		{"REQUEST_TIMEOUT_SECONDS", cfg.RequestTimeout, 30 * time.Second},
		{"HEADER_READ_TIMEOUT_SECONDS", cfg.HeaderReadTimeout, 5 * time.Second},
		{"BODY_READ_TIMEOUT_SECONDS", cfg.BodyReadTimeout, 10 * time.Second},
		{"REFRESH_REUSE_GRACE_SECONDS", cfg.RefreshReuseGrace, 10 * time.Second},
		{"DB_POOL_SIZE", cfg.DBPoolSize, int32(10)},
		{"DB_CONNECT_TIMEOUT_SECONDS", cfg.DBConnectTimeout, 5 * time.Second},
		{"DB_STATEMENT_TIMEOUT_SECONDS", cfg.DBStatementTimeout, 10 * time.Second},
		{"DB_POOL_TIMEOUT_SECONDS", cfg.DBPoolTimeout, 5 * time.Second},
		{"DATABASE_POOLER", cfg.DatabasePooler, "none"},
		{"PASSWORD_HASH_CONCURRENCY (derived)", cfg.PasswordHashConcurrency, 0},
		{"PASSWORD_HASH_MAX_WAITING (derived)", cfg.PasswordHashMaxWaiting, -1},
		{"DOCS_ENABLED", cfg.DocsEnabled, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.setting, c.got, c.want)
		}
	}
}

func TestDocsAreOffInProductionByDefault(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"ENVIRONMENT": "development"}, true},
		{map[string]string{"ENVIRONMENT": "production"}, false},
		{map[string]string{"ENVIRONMENT": "production", "DOCS_ENABLED": "true"}, true},
		{map[string]string{"ENVIRONMENT": "development", "DOCS_ENABLED": "false"}, false},
	}
	for _, tt := range tests {
		cfg, err := Load(environment(tt.env))
		if err != nil || cfg.DocsEnabled != tt.want {
			t.Errorf("%v: docs %v (err %v), want %v", tt.env, cfg.DocsEnabled, err, tt.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		text string
		want Rate
	}{
		{"60/minute", Rate{60, time.Minute}},
		{"10 per second", Rate{10, time.Second}},
		{"100/5 minutes", Rate{100, 5 * time.Minute}},
		{"1000/hour", Rate{1000, time.Hour}},
		{"5/Day", Rate{5, 24 * time.Hour}},
	}
	for _, tt := range tests {
		if got, err := ParseRate(tt.text); err != nil || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v", tt.text, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "60", "0/minute", "60/fortnight", "-1/minute", "60/0 minutes"} {
		if _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted it", bad)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	cfg, err := Load(environment(map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ,::1"}))
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"), netip.MustParsePrefix("::1/128")}
	if len(cfg.TrustedProxies) != len(want) {
		t.Fatalf("got %v, want %v", cfg.TrustedProxies, want)
	}
	for i := range want {
		if cfg.TrustedProxies[i] != want[i] {
			t.Fatalf("got %v, want %v", cfg.TrustedProxies, want)
		}
	}
}
