package httpapi

import (
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// RegistrationRules are the contract's rules for a new account's email address and password (the
// properties of its RegisterRequest schema), compiled as the gate compiles them: an account made
// outside the API (create-admin) follows the rules of registering to the letter.
type RegistrationRules struct {
	email, password *jsonschema.Schema
}

// NewRegistrationRules compiles the rules of contract (openapi.yaml).
func NewRegistrationRules(contract []byte) (*RegistrationRules, error) {
	contractJSON, err := yamlToJSON(contract)
	if err != nil {
		return nil, err
	}
	compiler, err := newCompiler(contractJSON)
	if err != nil {
		return nil, err
	}
	var rules RegistrationRules
	for name, schema := range map[string]**jsonschema.Schema{"email": &rules.email, "password": &rules.password} {
		if *schema, err = compiler.Compile(contractURL + "#/components/schemas/RegisterRequest/properties/" + name); err != nil {
			return nil, fmt.Errorf("contract: RegisterRequest.%s: %w", name, err)
		}
	}
	return &rules, nil
}

// CheckEmail is nil when registering would accept email, or else says why not.
func (r *RegistrationRules) CheckEmail(email string) error { return check(r.email, "email", email) }

// CheckPassword is nil when registering would accept password, or else says why not (never
// quoting it).
func (r *RegistrationRules) CheckPassword(password string) error {
	return check(r.password, "password", password)
}

func check(schema *jsonschema.Schema, name, value string) error {
	err := schema.Validate(value)
	if err == nil {
		return nil
	}
	if problems := schemaErrors(err, ""); len(problems) > 0 {
		return fmt.Errorf("%s: %s", name, problems[0].Message)
	}
	return fmt.Errorf("%s: not accepted by the contract", name)
}
