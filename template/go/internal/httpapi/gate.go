package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

const (
	tenantHeader = "X-Tenant-ID"
	maxBodyBytes = 1 << 20
)

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// operation is one operation of the contract, found by the ServeMux pattern it is served at.
type operation struct {
	route       *routers.Route
	template    []string // path segments; "{name}" marks a parameter
	secured     bool
	tenantScope bool // takes the tenant from X-Tenant-ID
}

// gate enforces the contract before a handler runs: the route exists (404) and accepts the
// method (405 with Allow), the caller is authenticated where the contract asks for it (401),
// the tenant header is a UUID (400), and parameters and body match their schemas (422).
type gate struct {
	mux        *http.ServeMux
	operations map[string]*operation
	tokens     verifier
}

// verifier checks an access token and returns its user.
type verifier interface {
	Verify(token string) (uuid.UUID, error)
}

var defineFormats sync.Once

func newGate(doc *openapi3.T, mux *http.ServeMux, tokens verifier) *gate {
	defineFormats.Do(func() {
		openapi3.DefineStringFormatValidator("uuid", openapi3.NewCallbackValidator(func(s string) error {
			if !uuidText.MatchString(s) {
				return errors.New("not a UUID")
			}
			return nil
		}))
		openapi3.DefineStringFormatValidator("email", openapi3.NewCallbackValidator(func(s string) error {
			if addr, err := mail.ParseAddress(s); err != nil || addr.Address != s || addr.Name != "" {
				return errors.New("not an email address")
			}
			return nil
		}))
	})
	g := &gate{mux: mux, operations: map[string]*operation{}, tokens: tokens}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			g.operations[method+" "+path] = &operation{
				route:       &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
				template:    strings.Split(path, "/"),
				secured:     len(security) > 0,
				tenantScope: params.GetByInAndName(openapi3.ParameterInHeader, tenantHeader) != nil,
			}
		}
	}
	return g
}

var uuidText = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := g.mux.Handler(r)
		if pattern == "" {
			g.unrouted(w, r)
			return
		}
		op, ok := g.operations[pattern]
		if !ok {
			next.ServeHTTP(w, r) // not an operation of the contract: the docs, the contract itself
			return
		}
		if op.secured {
			userID, problem := g.authenticate(r)
			if problem != "" {
				writeProblem(w, r, http.StatusUnauthorized, problem)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), userIDKey, userID))
		}
		if op.tenantScope {
			value, ok := r.Header[http.CanonicalHeaderKey(tenantHeader)]
			if !ok || len(value) != 1 || !uuidText.MatchString(value[0]) {
				detail := "Send the id of the tenant to act in (a UUID) as the X-Tenant-ID header."
				writeProblem(w, r, http.StatusBadRequest, detail,
					FieldError{Pointer: "/header/x-tenant-id", Message: detail})
				return
			}
			setLogTenant(r.Context(), strings.ToLower(value[0]))
		}
		if errs := g.validate(r, op); len(errs) > 0 {
			validationProblem(w, r, errs...)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// unrouted answers a request no pattern matches: 405 with Allow when other methods are served
// at the path, 404 otherwise.
func (g *gate) unrouted(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, method := range methods {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := g.mux.Handler(probe); pattern != "" {
			allowed = append(allowed, method)
		}
	}
	if len(allowed) == 0 {
		writeProblem(w, r, http.StatusNotFound, "Nothing is served at this URL.")
		return
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeProblem(w, r, http.StatusMethodNotAllowed, "This URL does not accept the method; see the Allow header.")
}

// authenticate returns the user of the request's access token, or what is wrong with it.
func (g *gate) authenticate(r *http.Request) (uuid.UUID, string) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return uuid.Nil, "Send an access token in the Authorization header: Bearer <token>."
	}
	userID, err := g.tokens.Verify(strings.TrimSpace(token))
	if err != nil {
		return uuid.Nil, "The access token is invalid or expired; log in again or refresh it."
	}
	return userID, ""
}

// validate checks parameters and body against the contract and returns what is wrong.
func (g *gate) validate(r *http.Request, op *operation) []FieldError {
	if op.route.Operation.RequestBody != nil {
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
		if err != nil {
			return []FieldError{{Pointer: "/body", Message: "The request body is unreadable or larger than 1 MiB."}}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if msg := notJSONText(body); msg != "" {
			return []FieldError{{Pointer: "/body", Message: msg}}
		}
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParams(op.template, r.URL.Path),
		Route:      op.route,
		Options: &openapi3filter.Options{
			MultiError:         true,
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, // done before, with the JWT
		},
	}
	if err := openapi3filter.ValidateRequest(r.Context(), input); err != nil {
		return fieldErrors(err, "")
	}
	if op.route.Operation.RequestBody != nil {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		return nulErrors(body)
	}
	return nil
}

func pathParams(template []string, path string) map[string]string {
	params := map[string]string{}
	for i, segment := range strings.Split(path, "/") {
		if i < len(template) && strings.HasPrefix(template[i], "{") {
			params[strings.Trim(template[i], "{}")] = segment
		}
	}
	return params
}

// fieldErrors turns kin-openapi's validation errors into pointers into the request.
func fieldErrors(err error, prefix string) []FieldError {
	switch e := err.(type) {
	case openapi3.MultiError:
		var out []FieldError
		for _, item := range e {
			out = append(out, fieldErrors(item, prefix)...)
		}
		return out
	case *openapi3filter.RequestError:
		switch {
		case e.Parameter != nil:
			name := e.Parameter.Name
			if e.Parameter.In == openapi3.ParameterInHeader {
				name = strings.ToLower(name)
			}
			return []FieldError{{Pointer: "/" + e.Parameter.In + "/" + name, Message: parameterMessage(e)}}
		case e.Err != nil:
			return fieldErrors(e.Err, "/body")
		default:
			return []FieldError{{Pointer: "/body", Message: e.Reason}}
		}
	case *openapi3.SchemaError:
		return schemaErrors(e, prefix)
	case *openapi3filter.ParseError:
		return []FieldError{{Pointer: prefix, Message: "The request body is not valid JSON text."}}
	}
	if prefix == "" {
		prefix = "/body"
	}
	return []FieldError{{Pointer: prefix, Message: err.Error()}}
}

// schemaErrors reports the leaves of a JSON Schema validation error, one per invalid field;
// a missing or unknown property is reported at the property, not at its object.
func schemaErrors(e *openapi3.SchemaError, prefix string) []FieldError {
	var causes openapi3.MultiError
	if e.Origin != nil && errors.As(e.Origin, &causes) {
		return fieldErrors(causes, prefix)
	}
	pointer := prefix
	for _, token := range e.JSONPointer() {
		pointer += "/" + escapePointer(token)
	}
	var leaf *jsonschema.ValidationError
	if !errors.As(e, &leaf) {
		// kin-openapi's own validator (schemas without JSON Schema 2020 keywords) reports an
		// unknown property at its object.
		quoted, unknown := strings.CutSuffix(strings.TrimPrefix(e.Reason, "property "), " is unsupported")
		if name, err := strconv.Unquote(quoted); unknown && e.SchemaField == "properties" && err == nil {
			return []FieldError{{Pointer: pointer + "/" + escapePointer(name), Message: "Unknown field; not part of the contract."}}
		}
		return []FieldError{{Pointer: pointer, Message: e.Reason}}
	}
	switch k := leaf.ErrorKind.(type) {
	case *kind.Required:
		out := make([]FieldError, 0, len(k.Missing))
		for _, name := range k.Missing {
			out = append(out, FieldError{Pointer: pointer + "/" + escapePointer(name), Message: "Field required."})
		}
		return out
	case *kind.AdditionalProperties:
		out := make([]FieldError, 0, len(k.Properties))
		for _, name := range k.Properties {
			out = append(out, FieldError{Pointer: pointer + "/" + escapePointer(name), Message: "Unknown field; not part of the contract."})
		}
		return out
	}
	return []FieldError{{Pointer: pointer, Message: leaf.ErrorKind.LocalizedString(printer)}}
}

var printer = message.NewPrinter(language.English)

func escapePointer(token string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
}

func parameterMessage(err *openapi3filter.RequestError) string {
	var schemaErr *openapi3.SchemaError
	if errors.As(err.Err, &schemaErr) {
		return schemaErr.Reason
	}
	if err.Reason != "" {
		return err.Reason
	}
	if err.Err != nil {
		return err.Err.Error()
	}
	return "invalid value"
}

// notJSONText rejects bodies that JSON decoders would silently repair: invalid UTF-8 and lone
// UTF-16 surrogates (\ud800) become U+FFFD, so what is stored would differ from what was sent.
func notJSONText(body []byte) string {
	if !utf8.Valid(body) {
		return "The request body is not UTF-8 encoded JSON text."
	}
	inString := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(body):
			i++
			if body[i] != 'u' || i+4 >= len(body) {
				continue
			}
			var r rune
			if _, err := fmt.Sscanf(string(body[i+1:i+5]), "%04x", &r); err != nil {
				continue
			}
			i += 4
			switch {
			case 0xDC00 <= r && r <= 0xDFFF:
				return "The request body contains an unpaired UTF-16 surrogate."
			case 0xD800 <= r && r <= 0xDBFF:
				var low rune
				if i+6 >= len(body) || body[i+1] != '\\' || body[i+2] != 'u' {
					return "The request body contains an unpaired UTF-16 surrogate."
				}
				if _, err := fmt.Sscanf(string(body[i+3:i+7]), "%04x", &low); err != nil || low < 0xDC00 || low > 0xDFFF {
					return "The request body contains an unpaired UTF-16 surrogate."
				}
				i += 6
			}
		}
	}
	return ""
}

// nulErrors rejects strings with U+0000, which PostgreSQL text cannot store.
func nulErrors(body []byte) []FieldError {
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return nil // the schema check has already accepted it; nothing to add
	}
	var out []FieldError
	var walk func(pointer string, v any)
	walk = func(pointer string, v any) {
		switch v := v.(type) {
		case string:
			if strings.ContainsRune(v, 0) {
				out = append(out, FieldError{Pointer: pointer, Message: "Must not contain the NUL character (U+0000)."})
			}
		case map[string]any:
			for key, item := range v {
				walk(pointer+"/"+escapePointer(key), item)
			}
		case []any:
			for i, item := range v {
				walk(fmt.Sprintf("%s/%d", pointer, i), item)
			}
		}
	}
	walk("/body", value)
	return out
}
