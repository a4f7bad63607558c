package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

const (
	tenantHeader = "X-Tenant-ID"
	contractURL  = "urn:contract:openapi.json" // the contract's name inside the schema compiler
)

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// operation is one operation of the contract, found by the ServeMux pattern it is served at.
type operation struct {
	secured     bool
	tenantScope bool // takes the tenant from X-Tenant-ID
	params      []*parameter
	body        *requestBody // nil when the operation takes no body
}

// parameter is a path, query or header parameter with its compiled schema.
type parameter struct {
	name     string
	in       string
	pointer  string // where its errors point: /path/project_id, /query/limit, /header/if-match
	segment  int    // a path parameter's index in the path's segments
	required bool
	typ      string // string, integer, number or boolean: what the text is read as
	bits     int    // of an integer
	schema   *jsonschema.Schema
}

// requestBody is what an operation accepts as its body: JSON media types and their schemas.
type requestBody struct {
	required bool
	schemas  map[string]*jsonschema.Schema // by media type; nil when the contract has no schema
	accepts  string                        // the media types, for the error message
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

// newGate compiles the parameter and body schemas of every operation in doc once, so that a
// request is only decoded and validated. contract is doc as JSON: the schemas' $refs point
// into it.
func newGate(doc *openapi3.T, contract []byte, mux *http.ServeMux, tokens verifier) (*gate, error) {
	compiler, err := newCompiler(contract)
	if err != nil {
		return nil, err
	}
	g := &gate{mux: mux, operations: map[string]*operation{}, tokens: tokens}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			compiled, err := compileOperation(compiler, doc, path, item, method, op)
			if err != nil {
				return nil, fmt.Errorf("contract: %s %s: %w", method, path, err)
			}
			g.operations[method+" "+path] = compiled
		}
	}
	return g, nil
}

func newCompiler(contract []byte) (*jsonschema.Compiler, error) {
	document, err := jsonschema.UnmarshalJSON(bytes.NewReader(contract))
	if err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020) // the dialect of OpenAPI 3.1
	compiler.AssertFormat()
	// Stricter than jsonschema's own: a UUID in its canonical form only, an email address the
	// way the services parse it (net/mail), without a display name.
	compiler.RegisterFormat(&jsonschema.Format{Name: "uuid", Validate: func(v any) error {
		if s, ok := v.(string); ok && !uuidText.MatchString(s) {
			return errors.New("not a UUID")
		}
		return nil
	}})
	compiler.RegisterFormat(&jsonschema.Format{Name: "email", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return nil
		}
		if addr, err := mail.ParseAddress(s); err != nil || addr.Address != s || addr.Name != "" {
			return errors.New("not an email address")
		}
		return nil
	}})
	if err := compiler.AddResource(contractURL, document); err != nil {
		return nil, fmt.Errorf("contract: %w", err)
	}
	return compiler, nil
}

var uuidText = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func compileOperation(compiler *jsonschema.Compiler, doc *openapi3.T, path string, item *openapi3.PathItem, method string, op *openapi3.Operation) (*operation, error) {
	security := doc.Security
	if op.Security != nil {
		security = *op.Security
	}
	compiled := &operation{secured: len(security) > 0}
	template := strings.Split(path, "/")
	add := func(ref *openapi3.ParameterRef, fragment string) error {
		p := ref.Value
		if p.In == openapi3.ParameterInHeader && strings.EqualFold(p.Name, tenantHeader) {
			compiled.tenantScope = true // checked before validation, with its own status
			return nil
		}
		if ref.Ref != "" {
			fragment = ref.Ref
		}
		param, err := compileParameter(compiler, p, at(fragment, "schema"), template)
		if err != nil {
			return fmt.Errorf("parameter %s in %s: %w", p.Name, p.In, err)
		}
		compiled.params = append(compiled.params, param)
		return nil
	}
	for i, ref := range item.Parameters {
		if op.Parameters.GetByInAndName(ref.Value.In, ref.Value.Name) != nil {
			continue // the operation overrides it
		}
		if err := add(ref, at("#", "paths", path, "parameters", strconv.Itoa(i))); err != nil {
			return nil, err
		}
	}
	for i, ref := range op.Parameters {
		if err := add(ref, at("#", "paths", path, strings.ToLower(method), "parameters", strconv.Itoa(i))); err != nil {
			return nil, err
		}
	}
	if op.RequestBody != nil {
		fragment := at("#", "paths", path, strings.ToLower(method), "requestBody")
		if op.RequestBody.Ref != "" {
			fragment = op.RequestBody.Ref
		}
		body, err := compileBody(compiler, op.RequestBody.Value, fragment)
		if err != nil {
			return nil, fmt.Errorf("request body: %w", err)
		}
		compiled.body = body
	}
	return compiled, nil
}

func compileParameter(compiler *jsonschema.Compiler, p *openapi3.Parameter, schemaFragment string, template []string) (*parameter, error) {
	if p.Schema == nil {
		return nil, errors.New("only parameters with a schema are supported")
	}
	param := &parameter{name: p.Name, in: p.In, pointer: "/" + p.In + "/" + p.Name, required: p.Required, bits: 64}
	switch p.In {
	case openapi3.ParameterInPath:
		param.segment = slices.Index(template, "{"+p.Name+"}")
		if param.segment < 0 {
			return nil, errors.New("not in the path")
		}
	case openapi3.ParameterInQuery:
	case openapi3.ParameterInHeader:
		param.pointer = "/header/" + strings.ToLower(p.Name)
	default:
		return nil, errors.New("only path, query and header parameters are supported")
	}
	switch types := p.Schema.Value.Type.Slice(); {
	case len(types) == 0:
		param.typ = openapi3.TypeString
	case len(types) == 1 && slices.Contains([]string{openapi3.TypeString, openapi3.TypeInteger, openapi3.TypeNumber, openapi3.TypeBoolean}, types[0]):
		param.typ = types[0]
	default:
		return nil, fmt.Errorf("only string, integer, number and boolean parameters are supported, not %v", types)
	}
	if p.Schema.Value.Format == "int32" {
		param.bits = 32
	}
	schema, err := compiler.Compile(contractURL + schemaFragment)
	if err != nil {
		return nil, err
	}
	param.schema = schema
	return param, nil
}

func compileBody(compiler *jsonschema.Compiler, body *openapi3.RequestBody, fragment string) (*requestBody, error) {
	compiled := &requestBody{required: body.Required, schemas: map[string]*jsonschema.Schema{}}
	var accepted []string
	for mediaType, content := range body.Content {
		normalized := strings.ToLower(mediaType)
		if normalized != "application/json" && !strings.HasSuffix(normalized, "+json") {
			return nil, fmt.Errorf("only JSON bodies are supported, not %s", mediaType)
		}
		accepted = append(accepted, normalized)
		var schema *jsonschema.Schema
		if content.Schema != nil {
			var err error
			if schema, err = compiler.Compile(contractURL + at(fragment, "content", mediaType, "schema")); err != nil {
				return nil, err
			}
		}
		compiled.schemas[normalized] = schema
	}
	slices.Sort(accepted)
	compiled.accepts = strings.Join(accepted, " or ")
	return compiled, nil
}

// at is the URL fragment of a place in the contract: base ("#" or a $ref) and the keys below it.
func at(base string, keys ...string) string {
	for _, key := range keys {
		base += "/" + url.PathEscape(escapePointer(key))
	}
	return base
}

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
		var body []byte
		if op.body != nil {
			var err error
			if body, err = io.ReadAll(r.Body); err != nil {
				bodyReadProblem(w, r, err)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body)) // for the handler
		}
		if errs := op.validate(r, body); len(errs) > 0 {
			validationProblem(w, r, errs...)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bodyReadProblem answers a body that could not be read: too large (limitBody), too slow (the
// server's read timeout), or cut off.
func bodyReadProblem(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	var netErr net.Error
	switch {
	case errors.As(err, &tooBig):
		writeProblem(w, r, http.StatusRequestEntityTooLarge, tooLarge(tooBig.Limit))
	case errors.As(err, &netErr) && netErr.Timeout():
		w.Header().Set("Connection", "close") // the rest of the body is not worth waiting for
		writeProblem(w, r, http.StatusRequestTimeout, "The request body arrived too slowly.")
	default:
		writeProblem(w, r, http.StatusBadRequest, "The request body could not be read.")
	}
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
func (op *operation) validate(r *http.Request, body []byte) []FieldError {
	var errs []FieldError
	var segments []string
	var query url.Values
	for _, p := range op.params {
		var values []string
		switch p.in {
		case openapi3.ParameterInPath:
			// ServeMux matched the escaped path and decoded each segment; so does the gate.
			if segments == nil {
				segments = strings.Split(r.URL.EscapedPath(), "/")
			}
			value, _ := url.PathUnescape(segments[p.segment]) // EscapedPath is a valid encoding
			values = []string{value}
		case openapi3.ParameterInQuery:
			if query == nil {
				query = r.URL.Query() // parameters the contract does not name are ignored
			}
			values = query[p.name]
		case openapi3.ParameterInHeader:
			values = r.Header.Values(p.name)
		}
		errs = append(errs, p.validate(values)...)
	}
	if op.body != nil {
		errs = append(errs, op.body.validate(r, body)...)
	}
	return errs
}

func (p *parameter) validate(values []string) []FieldError {
	switch {
	case len(values) == 0 && p.required:
		return []FieldError{{Pointer: p.pointer, Message: "Parameter required."}}
	case len(values) == 0:
		return nil
	case len(values) > 1:
		// The generated server does not bind a repeated value; refuse it here, as a 422.
		return []FieldError{{Pointer: p.pointer, Message: "Send this parameter once."}}
	}
	value, malformed := p.parse(values[0])
	if malformed != "" {
		return []FieldError{{Pointer: p.pointer, Message: malformed}}
	}
	return schemaErrors(p.schema.Validate(value), p.pointer)
}

// parse reads a parameter's text as the JSON value its schema describes, with the strconv
// function the generated server binds it with: whatever passes here binds there.
func (p *parameter) parse(raw string) (any, string) {
	switch p.typ {
	case openapi3.TypeInteger:
		if n, err := strconv.ParseInt(raw, 10, p.bits); err == nil {
			return n, ""
		}
		return nil, "Must be an integer."
	case openapi3.TypeNumber:
		if f, err := strconv.ParseFloat(raw, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f, ""
		}
		return nil, "Must be a number."
	case openapi3.TypeBoolean:
		if b, err := strconv.ParseBool(raw); err == nil {
			return b, ""
		}
		return nil, "Must be true or false."
	}
	return raw, ""
}

// validate checks the body against the schema of its media type.
func (b *requestBody) validate(r *http.Request, body []byte) []FieldError {
	if len(body) == 0 {
		if b.required {
			return []FieldError{{Pointer: "/body", Message: "The request body is required."}}
		}
		return nil
	}
	mediaType, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	schema, ok := b.schemas[strings.ToLower(strings.TrimSpace(mediaType))]
	if !ok {
		return []FieldError{{Pointer: "/body", Message: "Send the body as " + b.accepts + " (the Content-Type header)."}}
	}
	if msg := notJSONText(body); msg != "" {
		return []FieldError{{Pointer: "/body", Message: msg}}
	}
	// Numbers stay json.Number, exact; text after the value is an error.
	value, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return []FieldError{{Pointer: "/body", Message: "The request body is not valid JSON text."}}
	}
	if schema != nil {
		if errs := schemaErrors(schema.Validate(value), "/body"); len(errs) > 0 {
			return errs
		}
	}
	return nulErrors(value)
}

// schemaErrors reports the leaves of a JSON Schema validation error, one per invalid field;
// a missing or unknown property is reported at the property, not at its object.
func schemaErrors(err error, prefix string) []FieldError {
	if err == nil {
		return nil
	}
	var e *jsonschema.ValidationError
	if !errors.As(err, &e) {
		return []FieldError{{Pointer: prefix, Message: err.Error()}}
	}
	if len(e.Causes) > 0 {
		var out []FieldError
		for _, cause := range e.Causes {
			out = append(out, schemaErrors(cause, prefix)...)
		}
		return out
	}
	pointer := prefix
	for _, token := range e.InstanceLocation {
		pointer += "/" + escapePointer(token)
	}
	switch k := e.ErrorKind.(type) {
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
	return []FieldError{{Pointer: pointer, Message: schemaMessage(e.ErrorKind)}}
}

// schemaMessage says in a sentence what a value lacks; keywords the contract does not use keep
// the validator's wording.
func schemaMessage(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.MinLength:
		return fmt.Sprintf("Must be at least %d characters long.", k.Want)
	case *kind.MaxLength:
		return fmt.Sprintf("Must be at most %d characters long.", k.Want)
	case *kind.Minimum:
		return "Must be at least " + k.Want.RatString() + "."
	case *kind.Maximum:
		return "Must be at most " + k.Want.RatString() + "."
	case *kind.Type:
		return "Must be of type " + strings.Join(k.Want, " or ") + "."
	case *kind.Enum:
		allowed := make([]string, 0, len(k.Want))
		for _, v := range k.Want {
			allowed = append(allowed, fmt.Sprint(v))
		}
		return "Must be one of: " + strings.Join(allowed, ", ") + "."
	case *kind.Format:
		return "Must be a valid " + k.Want + "."
	}
	return k.LocalizedString(printer)
}

var printer = message.NewPrinter(language.English)

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escapePointer(token string) string {
	return pointerEscaper.Replace(token)
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
func nulErrors(value any) []FieldError {
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
				walk(pointer+"/"+strconv.Itoa(i), item)
			}
		}
	}
	walk("/body", value)
	return out
}
