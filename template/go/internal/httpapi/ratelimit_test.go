package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddress(t *testing.T) {
	proxies := clientAddresses{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	tests := []struct {
		name      string
		peer      string
		forwarded []string
		want      string
	}{
		{"an untrusted peer is the client, whatever it forwards", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9"},
		{"a trusted peer without the header", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"the right-most untrusted hop", "10.0.0.2:5000", []string{"198.51.100.1, 203.0.113.7, 10.0.0.3"}, "203.0.113.7"},
		{"hops across repeated headers, in order", "10.0.0.2:5000", []string{"198.51.100.1", "203.0.113.7,10.0.0.3"}, "203.0.113.7"},
		{"every hop trusted: the farthest", "10.0.0.2:5000", []string{"10.0.0.5, 10.0.0.3"}, "10.0.0.5"},
		{"an IPv6 proxy and an IPv4-mapped client", "[::1]:5000", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
			r.RemoteAddr = tt.peer
			for _, value := range tt.forwarded {
				r.Header.Add("X-Forwarded-For", value)
			}
			if got := proxies.of(r); got != tt.want {
				t.Fatalf("client %q, want %q", got, tt.want)
			}
		})
	}
}
