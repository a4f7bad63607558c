package auth

import (
	"strings"
	"testing"
)

func TestPasswords(t *testing.T) {
	hash, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not record argon2id with m=19456 t=2 p=1", hash)
	}
	tests := []struct {
		name     string
		password string
		want     bool
	}{
		{"the password", "correct horse battery staple", true},
		{"another password", "correct horse battery stapler", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VerifyPassword(hash, tt.password)
			if err != nil || got != tt.want {
				t.Fatalf("VerifyPassword = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := VerifyPassword("$2b$12$not-argon", "x"); err == nil {
		t.Fatal("a foreign hash format was accepted")
	}
}
