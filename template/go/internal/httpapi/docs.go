package httpapi

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// docsPage renders the served contract with Swagger UI, whose scripts are pinned by
// Subresource Integrity (see docs.html).
//
//go:embed docs.html
var docsPage string

// yamlToJSON converts the contract once, at start-up, for /api/v1/openapi.json.
func yamlToJSON(document []byte) ([]byte, error) {
	var value any
	if err := yaml.Unmarshal(document, &value); err != nil {
		return nil, fmt.Errorf("parse contract: %w", err)
	}
	out, err := json.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("encode contract: %w", err)
	}
	return out, nil
}
