package config

import (
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		refuses string
	}{
		{name: "development accepts the default secret", env: map[string]string{}},
		{name: "production refuses the default secret", env: map[string]string{"ENVIRONMENT": "production"}, refuses: "JWT_SECRET"},
		{name: "production refuses a short secret", env: map[string]string{"ENVIRONMENT": "production", "JWT_SECRET": "short"}, refuses: "JWT_SECRET"},
		{name: "production accepts a long secret", env: map[string]string{"ENVIRONMENT": "production", "JWT_SECRET": strings.Repeat("k", 32)}},
		{name: "unknown environment", env: map[string]string{"ENVIRONMENT": "staging"}, refuses: "ENVIRONMENT"},
		{name: "bad lifetime", env: map[string]string{"ACCESS_TOKEN_TTL_SECONDS": "soon"}, refuses: "ACCESS_TOKEN_TTL_SECONDS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(func(key string) string { return tt.env[key] })
			switch {
			case tt.refuses == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.refuses != "" && (err == nil || !strings.Contains(err.Error(), tt.refuses)):
				t.Fatalf("got %v, want a refusal naming %s", err, tt.refuses)
			}
		})
	}
}
