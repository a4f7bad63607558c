package httpapi

import (
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// docsPage renders the served contract with Swagger UI.
const docsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API docs</title>
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#ui"});</script>
</body>
</html>
`

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
