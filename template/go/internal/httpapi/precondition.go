package httpapi

import "strings"

// ifMatch turns an If-Match field (RFC 9110, section 13.1.1) into the condition on the current
// ETag that the update evaluates under its row lock; nil without the header. "*" matches any
// current representation; a list matches when one of its entity tags matches by strong
// comparison, so a weak tag (W/"...") never matches. A malformed field matches nothing.
func ifMatch(field *string) func(etag string) bool {
	if field == nil {
		return nil
	}
	value := strings.TrimSpace(*field)
	if value == "*" {
		return func(string) bool { return true }
	}
	tags, ok := strongEntityTags(value)
	return func(etag string) bool {
		if !ok {
			return false
		}
		for _, tag := range tags {
			if tag == etag {
				return true
			}
		}
		return false
	}
}

// strongEntityTags parses a comma-separated list of entity tags (with optional whitespace and
// empty elements, as RFC 9110 lists allow) and returns the strong ones, quotes included. An
// entity tag may contain commas, so the list is scanned, not split.
func strongEntityTags(list string) ([]string, bool) {
	var tags []string
	for i := 0; i < len(list); {
		switch c := list[i]; {
		case c == ' ' || c == '\t' || c == ',':
			i++
			continue
		}
		weak := strings.HasPrefix(list[i:], "W/")
		if weak {
			i += 2
		}
		if i >= len(list) || list[i] != '"' {
			return nil, false
		}
		end := strings.IndexByte(list[i+1:], '"')
		if end < 0 {
			return nil, false
		}
		tag := list[i : i+end+2]
		i += end + 2
		for i < len(list) && (list[i] == ' ' || list[i] == '\t') {
			i++
		}
		if i < len(list) && list[i] != ',' { // entity tags are separated by commas
			return nil, false
		}
		if !weak {
			tags = append(tags, tag)
		}
	}
	return tags, true
}
