package httpapi

import "testing"

func TestIfMatch(t *testing.T) {
	const etag = `"0192-3"`
	field := func(s string) *string { return &s }
	tests := []struct {
		field string
		want  bool
	}{
		{etag, true},
		{"*", true},
		{` "a", ` + etag + ` `, true},
		{`"a",,` + etag, true},
		{`"with, comma", ` + etag, true},
		{"W/" + etag, false},
		{`"0192-3`, false},
		{`0192-3`, false},
		{`"a" ` + etag, false}, // no comma: malformed, matches nothing
		{`"a", "b"`, false},
	}
	for _, tt := range tests {
		if got := ifMatch(field(tt.field))(etag); got != tt.want {
			t.Errorf("If-Match %q against %s: %v, want %v", tt.field, etag, got, tt.want)
		}
	}
	if ifMatch(nil) != nil {
		t.Error("no If-Match must mean no precondition")
	}
}
